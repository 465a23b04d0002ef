"""Filter rules of deployments: the real validation and their meaning as SQL.

A rule is `{"key", "values", "operator", "type"}`. Label rules (`type: label`) test a
deployment's labels (see labels.py), attribute rules (`type: attribute`) one of a few
columns. Validation, messages and deduplication follow the real
`rest/filters_utils.create_filter_rules_list` (7.0.4); the SQL follows
`storage/filters.py`, as subqueries of the indexed `deployments_labels` table:

- label `any_of`: has the key with one of the values; `not_any_of`: has the key with
  another value; `is_not`: has not the key with one of the values (or not the key);
  `is_null` / `is_not_null`: has not / has the key.
- attribute `any_of` / `not_any_of`: (not) one of the values (a null column matches
  neither); `contains` / `not_contains`: case-sensitive substring (any of / none of);
  `starts_with` / `ends_with`: case-insensitive prefix / suffix (SQL `LIKE`, so `_`
  matches any character, as the real `ILIKE` does); `is_not_empty`: set and not empty.
"""

from __future__ import annotations

from typing import Any

from tui.manager.bodies import validate_input
from tui.manager.errors import BadFilterRule, BadParameters
from tui.manager.labels import parse_label
from tui.manager.listing import Where
from tui.manager.store import marks

LABELS_OPERATORS = ("any_of", "not_any_of", "is_null", "is_not_null", "is_not")
ATTRS_OPERATORS = (
    "any_of",
    "not_any_of",
    "contains",
    "not_contains",
    "starts_with",
    "ends_with",
    "is_not_empty",
)
RULE_TYPES = ("label", "attribute")
# The real `Deployment.allowed_filter_attrs`, each with the SQL of its column here
# (no schedules here: a deployment's schedules are always empty).
DEPLOYMENT_ATTRS = {
    "id": "id",
    "blueprint_id": "blueprint_id",
    "created_by": "created_by",
    "site_name": "site_name",
    "schedules": "NULL",
    "tenant_name": "tenant",
    "display_name": "display_name",
    "installation_status": "installation_status",
}
_NULL_OPERATORS = ("is_null", "is_not_null")
_VALUED_OPERATORS = ("any_of", "not_any_of", "is_not")


def _check_label_rule(rule: dict[str, Any]) -> None:
    operator, values = rule["operator"], rule["values"]
    if operator not in LABELS_OPERATORS:
        raise BadFilterRule(
            rule,
            f"The operator for filtering by labels must be one of {', '.join(LABELS_OPERATORS)}",
        )
    if operator in _NULL_OPERATORS and values:
        raise BadFilterRule(
            rule,
            f"Values list must be empty if the operator is one of {', '.join(_NULL_OPERATORS)}",
        )
    if operator not in _NULL_OPERATORS and not values:
        raise BadFilterRule(
            rule,
            "Values list must include at least one item if the operator is one of "
            + ", ".join(_VALUED_OPERATORS),
        )


def _check_attribute_rule(rule: dict[str, Any]) -> None:
    operator, values, key = rule["operator"], rule["values"], rule["key"]
    if operator not in ATTRS_OPERATORS:
        raise BadFilterRule(
            rule,
            "The operator for filtering by attributes must be one of " + ", ".join(ATTRS_OPERATORS),
        )
    if operator == "is_not_empty" and values:
        raise BadFilterRule(rule, "Values list must be empty if the operator is is_not_empty")
    if key not in DEPLOYMENT_ATTRS:
        raise BadFilterRule(
            rule,
            f"Allowed attributes to filter deployments by are {', '.join(DEPLOYMENT_ATTRS)}",
        )
    if key == "schedules" and operator != "is_not_empty":
        raise BadFilterRule(
            rule,
            "Filtering by deployment schedules is only possible with the is_not_empty operator",
        )


def _check_values(rule: dict[str, Any]) -> None:
    for value in rule["values"]:
        try:
            if rule["type"] == "label":
                parse_label(rule["key"], value)
            else:
                validate_input("attributes' filter rule value", value)
        except BadParameters as exc:
            raise BadFilterRule(rule, exc.message) from None


def _check_rule(rule: Any) -> None:
    if not isinstance(rule, dict):
        raise BadFilterRule(rule, "The filter rule is not a dictionary")
    if set(rule) != {"key", "values", "operator", "type"}:
        raise BadFilterRule(rule, "At least one of the entries in the filter rule is missing")
    if not isinstance(rule["key"], str):
        raise BadFilterRule(rule, "The filter rule key must be a string")
    if not isinstance(rule["values"], list):
        raise BadFilterRule(rule, "The filter rule values must be a list")
    if rule["type"] == "label":
        _check_label_rule(rule)
    elif rule["type"] == "attribute":
        _check_attribute_rule(rule)
    else:
        raise BadFilterRule(rule, f"Filter rule type must be one of {', '.join(RULE_TYPES)}")
    _check_values(rule)


def filter_rules(raw: Any) -> list[dict[str, Any]]:
    """Checked rules, keys lowercased, without repeats (in the order given)."""
    rules: list[dict[str, Any]] = []
    for rule in raw:
        _check_rule(rule)
        checked = {
            "key": rule["key"].lower(),
            "values": rule["values"],
            "operator": rule["operator"],
            "type": rule["type"],
        }
        if checked not in rules:
            rules.append(checked)
    return rules


def merge_rules(rules: list[dict[str, Any]], more: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`rules` then those of `more` not among them (a saved filter's rules after the
    request's, as the real `get_filter_rules` adds them)."""
    return rules + [rule for rule in more if rule not in rules]


def _label_clause(rule: dict[str, Any], where: Where, pk: str) -> None:
    key, values, operator = rule["key"], rule["values"], rule["operator"]
    having = "SELECT deployment_pk FROM deployments_labels WHERE key = ?"
    if operator == "any_of":
        where.add(f"{pk} IN ({having} AND value IN ({marks(values)}))", key, *values)
    elif operator == "not_any_of":
        where.add(f"{pk} IN ({having} AND value NOT IN ({marks(values)}))", key, *values)
    elif operator == "is_not":
        where.add(f"{pk} NOT IN ({having} AND value IN ({marks(values)}))", key, *values)
    elif operator == "is_null":
        where.add(f"{pk} NOT IN ({having})", key)
    else:  # is_not_null
        where.add(f"{pk} IN ({having})", key)


def _any(parts: list[str], joiner: str) -> str:
    return "(" + f" {joiner} ".join(parts) + ")"


def _attribute_clause(rule: dict[str, Any], where: Where) -> None:
    column, values, operator = DEPLOYMENT_ATTRS[rule["key"]], rule["values"], rule["operator"]
    if operator == "any_of":
        where.add(f"{column} IN ({marks(values)})", *values)
    elif operator == "not_any_of":
        where.add(f"NOT {column} IN ({marks(values)})", *values)
    elif operator == "contains":
        where.add(_any([f"instr({column}, ?) > 0"] * len(values), "OR"), *values)
    elif operator == "not_contains":
        where.add(_any([f"NOT instr({column}, ?) > 0"] * len(values), "AND"), *values)
    elif operator == "starts_with":
        where.add(_any([f"{column} LIKE ?"] * len(values), "OR"), *(f"{v}%" for v in values))
    elif operator == "ends_with":
        where.add(_any([f"{column} LIKE ?"] * len(values), "OR"), *(f"%{v}" for v in values))
    else:  # is_not_empty
        where.add(f"{column} IS NOT NULL AND {column} NOT IN ('', '[]', '{{}}')")


def apply_rules(where: Where, rules: list[dict[str, Any]], pk: str = "pk") -> Where:
    """`where` narrowed by every rule (all must hold); `pk` is the deployments' key."""
    for rule in rules:
        if rule["type"] == "label":
            _label_clause(rule, where, pk)
        else:
            _attribute_clause(rule, where)
    return where
