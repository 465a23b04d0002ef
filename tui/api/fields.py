"""Which `_include` fields a manager gives, per resource, for one connection.

A real manager validates `_include` against its model and answers 400
`no_such_include_field_error` for a name it lacks, failing the whole request: a 6.x
manager has no `latest_execution_workflow_id` (added in 7.0), and before 6.3
`latest_execution` cannot be included. The client asks for the fields it knows the
version lacks never, and learns the rest from the first refusal: the named fields
are dropped for the rest of the connection and the request is sent once more.
Nothing refused for a field reason is sent twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

# (resource, field) -> the first manager version that gives it, where known.
INTRODUCED: dict[tuple[str, str], tuple[int, ...]] = {
    ("deployments", "latest_execution_workflow_id"): (7, 0),
    ("deployments", "latest_execution"): (6, 3),
}

_BRACKETED = re.compile(r"\[([^\]]*)\]")
_NAME = re.compile(r"[A-Za-z_][\w.]*")
_ALLOWED = re.compile(r"(?:Allowed keys are|choose from)\s*:?\s*\[([^\]]*)\]", re.IGNORECASE)


def version_tuple(version: str | None) -> tuple[int, ...] | None:
    """`7.0.4` -> (7, 0, 4); `6.4.2.dev1` -> (6, 4, 2); None when unreadable."""
    if not version:
        return None
    parts = []
    for piece in version.split("."):
        digits = re.match(r"\d+", piece)
        if digits is None:
            break
        parts.append(int(digits.group()))
    return tuple(parts) or None


def refused_fields(message: str, wanted: Iterable[str]) -> set[str]:
    """The fields of `wanted` that a `no_such_include_field_error` message names.

    Two wordings are known: `Include keys '['a']' do not exist. Allowed keys are:
    [...]` (7.x) and `Illegal include fields: [...] - choose from: [...]`. The first
    bracketed list names the refused fields; when none of those is one we asked for,
    what we asked for and the allowed list lacks is taken instead."""
    wanted = list(dict.fromkeys(wanted))
    first = _BRACKETED.search(message)
    named = set(_NAME.findall(first.group(1))) if first else set()
    found = named & set(wanted)
    if found:
        return found
    allowed = _ALLOWED.search(message)
    if allowed is None:
        return set()
    return set(wanted) - set(_NAME.findall(allowed.group(1)))


class FieldSupport:
    """The fields a manager refused (or is known to lack), per resource, with why."""

    def __init__(self) -> None:
        self._missing: dict[str, dict[str, str]] = {}

    def include(self, resource: str, wanted: Sequence[str]) -> list[str]:
        """`wanted` without the fields this manager does not give."""
        missing = self._missing.get(resource, {})
        return [name for name in wanted if name not in missing]

    def know_version(self, version: str | None) -> None:
        """Drop, before asking, what this version is known to lack."""
        number = version_tuple(version)
        if number is None:
            return
        for (resource, name), since in INTRODUCED.items():
            if number < since:
                reason = f"manager {version} has no {name} (from {'.'.join(map(str, since))})"
                self._missing.setdefault(resource, {}).setdefault(name, reason)

    def learn(self, resource: str, wanted: Sequence[str], message: str) -> bool:
        """Record the fields a refusal names; True when there is something new to drop
        (then the request is worth sending once more without them)."""
        names = refused_fields(message, wanted)
        missing = self._missing.setdefault(resource, {})
        new = names - set(missing)
        for name in sorted(new):
            missing[name] = f"the manager refused _include={name}"
        return bool(new)

    def missing(self) -> dict[str, dict[str, str]]:
        """resource -> {field: why}, for the settings view."""
        return {resource: dict(fields) for resource, fields in self._missing.items() if fields}
