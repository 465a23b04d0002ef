"""Which deployments a list asks for, as the manager's own filtering takes it.

A manager filters deployments two ways, and they do not mix:
- `GET /deployments` with plain filters in the query (`blueprint_id=`,
  `deployment_status=`, `latest_execution_status=`, `installation_status=`) and
  `_search` (a piece of the id). Every version has it.
- `POST /searches/deployments` with `filter_rules` (labels, and a few attributes:
  `blueprint_id`, `site_name`, `installation_status`, ...) and `_search`. It ignores
  plain filters in its query (measured on 7.0.4: `deployment_status=good` changed
  nothing), so a status that is no attribute rule cannot go with labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The attributes a filter rule may name on deployments (7.0.4's
# `Deployment.allowed_filter_attrs`), of those the filter offers.
RULE_ATTRIBUTES = frozenset({"blueprint_id", "site_name", "installation_status", "created_by"})


@dataclass(frozen=True)
class DeploymentQuery:
    text: str = ""  # `_search`
    params: tuple[tuple[str, str], ...] = ()  # plain filters
    labels: tuple[dict[str, Any], ...] = ()  # label filter rules
    saved: str = ""  # a saved filter's id (`_filter_id`): both ways take it

    @property
    def searches(self) -> bool:
        """Needs `POST /searches/deployments` (label rules)."""
        return bool(self.labels)

    def rules(self, ids: list[str] | None = None) -> list[dict[str, Any]]:
        """Every filter rule: the labels', then each plain filter as an attribute rule
        (the caller made sure each has one: `unruled` is empty), and `ids` as one."""
        attributes = [
            {"key": key, "values": [value], "operator": "any_of", "type": "attribute"}
            for key, value in self.params
        ]
        if ids:
            attributes.append(
                {"key": "id", "values": list(ids), "operator": "any_of", "type": "attribute"}
            )
        return [*self.labels, *attributes]

    def unruled(self) -> list[str]:
        """The plain filters that no attribute rule can say."""
        return [key for key, _ in self.params if key not in RULE_ATTRIBUTES]


def label_rule(key: str, values: list[str], *, negated: bool = False) -> dict[str, Any]:
    return {
        "key": key,
        "values": values,
        "operator": "not_any_of" if negated else "any_of",
        "type": "label",
    }


@dataclass(frozen=True)
class SavedFilter:
    """A filter saved on the manager (`/filters/deployments`), with its rules in the
    words of the app's filter, as far as they go."""

    id: str
    rules: tuple[dict[str, Any], ...] = ()
    system: bool = False

    def described(self) -> str:
        words = []
        for rule in self.rules:
            key, values = str(rule.get("key", "?")), rule.get("values") or []
            shown = ",".join(str(v) for v in values) if isinstance(values, list) else "?"
            operator = rule.get("operator")
            if rule.get("type") == "label":
                words.append(f"{key}{'!=' if operator == 'not_any_of' else '='}{shown}")
            else:
                words.append(f"{key} {str(operator).replace('_', ' ')} {shown}".strip())
        return " ".join(words) or "no rules"

    @classmethod
    def from_json(cls, data: Any) -> SavedFilter | None:
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            return None
        rules = data.get("value")
        return cls(
            id=data["id"],
            rules=tuple(r for r in rules if isinstance(r, dict)) if isinstance(rules, list) else (),
            system=data.get("is_system_filter") is True,
        )
