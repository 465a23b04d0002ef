"""The deployments filter as typed in `/`, read into the manager's own filtering.

    env=prod region=eu,us status:failed blueprint:webapp web

- `key=value[,value]`: a label (any of the values); `key!=value`: not that label;
- `blueprint:` (`bp:`), `site:`: the deployment's blueprint or site;
- `filter:` a filter saved on the manager (its id);
- `status:` a deployment status (`good`, `requires_attention`, `in_progress`), a
  latest execution's (`failed`, `completed`, `cancelled`), or `installed` /
  `not_installed`;
- any other word: a piece of the deployment's id (`_search`).

Labels make the list a label search, which ignores a deployment status or a latest
execution's status (see `tui/api/queries.py`): typed together, the filter says so
rather than show a list that is not what was asked.
"""

from __future__ import annotations

import re

from tui.api.queries import DeploymentQuery, label_rule

STATUS_PARAMS = {
    "good": ("deployment_status", "good"),
    "requires_attention": ("deployment_status", "requires_attention"),
    "attention": ("deployment_status", "requires_attention"),
    "in_progress": ("deployment_status", "in_progress"),
    "failed": ("latest_execution_status", "failed"),
    "completed": ("latest_execution_status", "completed"),
    "cancelled": ("latest_execution_status", "cancelled"),
    "installed": ("installation_status", "active"),
    "not_installed": ("installation_status", "inactive"),
}
ATTRIBUTES = {"blueprint": "blueprint_id", "bp": "blueprint_id", "site": "site_name"}
SAVED = ("filter", "saved")
SYNTAX = "env=prod region!=eu status:failed blueprint:webapp (and words of the id)"
_LABEL = re.compile(r"^([^=!:\s]+)(!?=)(.*)$")


class FilterError(ValueError):
    """The filter cannot be read or asked for as typed; the message says why."""


def _label(word: str, match: re.Match[str]) -> dict[str, object]:
    key, sign, values = match.groups()
    listed = [v for v in values.split(",") if v]
    if not listed:
        raise FilterError(f"{word!r} names no value: {SYNTAX}")
    return label_rule(key, listed, negated=sign == "!=")


def _named(word: str) -> tuple[str, str]:
    key, _, value = word.partition(":")
    if not value:
        raise FilterError(f"{word!r} names no value: {SYNTAX}")
    if key.lower() == "status":
        found = STATUS_PARAMS.get(value.lower())
        if found is None:
            known = ", ".join(STATUS_PARAMS)
            raise FilterError(f"status:{value} is not a status: use one of {known}")
        return found
    attribute = ATTRIBUTES.get(key.lower())
    if attribute is None:
        raise FilterError(f"{word!r}: {key}: is not a filter word: {SYNTAX}")
    return attribute, value


def parse(text: str) -> DeploymentQuery:
    """The query the typed filter stands for; `FilterError` when it has none."""
    labels: list[dict[str, object]] = []
    params: list[tuple[str, str]] = []
    words: list[str] = []
    saved = ""
    for word in text.split():
        label = _LABEL.match(word)
        key, _, value = word.partition(":")
        if label is not None:
            labels.append(_label(word, label))
        elif key.lower() in SAVED and value:
            saved = value
        elif ":" in word:
            params.append(_named(word))
        else:
            words.append(word)
    query = DeploymentQuery(
        text=" ".join(words), params=tuple(params), labels=tuple(labels), saved=saved
    )
    if query.searches and query.unruled():
        raise FilterError(
            "labels cannot be combined with a deployment or latest execution status: "
            "the manager's label search ignores it"
        )
    return query
