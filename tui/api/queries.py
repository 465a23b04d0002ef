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

    @property
    def searches(self) -> bool:
        """Needs `POST /searches/deployments` (label rules)."""
        return bool(self.labels)

    def rules(self) -> list[dict[str, Any]]:
        """Every filter rule: the labels', then each plain filter as an attribute rule
        (the caller made sure each has one: `unruled` is empty)."""
        attributes = [
            {"key": key, "values": [value], "operator": "any_of", "type": "attribute"}
            for key, value in self.params
        ]
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
