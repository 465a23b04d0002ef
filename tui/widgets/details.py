"""The sections of the deployment details screen, each built by a pure function from
what `tui/live/details.py` read, so what a section shows is testable without a
screen. Every server string goes through `safe`; values that are secrets, or come
from one, are hidden (`secrecy.py`)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from rich.text import Text

from tui.api.models import Deployment, Label
from tui.live.details import Instances, Part
from tui.widgets import fmt
from tui.widgets.glyphs import glyph, sep
from tui.widgets.safe import safe
from tui.widgets.secrecy import hidden_because
from tui.widgets.status import Palette, instance_state_text, status_text

VALUE_LIMIT = 400


def _line(text: Text, label: str, value: Text | str, *, first: bool = False) -> None:
    if not first:
        text.append("\n")
    text.append(f"{label:<14}", style="bold")
    text.append_text(value if isinstance(value, Text) else Text(value))


def overview_text(
    deployment: Deployment,
    *,
    palette: Palette,
    now: datetime,
    tz: timezone | None,
    ascii_only: bool,
) -> Text:
    """Who and what the deployment is: name, blueprint, site, creation, status."""
    text = Text()

    def shown(value: str, style: str = "") -> Text:
        return safe(value or "-", style, limit=200, ascii_only=ascii_only)

    _line(text, "Deployment", shown(deployment.id, "bold"), first=True)
    if deployment.display_name and deployment.display_name != deployment.id:
        _line(text, "Name", shown(deployment.display_name))
    _line(text, "Blueprint", shown(deployment.blueprint_id))
    if deployment.description:
        _line(text, "Description", safe(deployment.description, limit=600, ascii_only=ascii_only))
    _line(text, "Site", shown(deployment.site_name))
    created = fmt.clock_time(deployment.created_at, now, tz) or "?"
    by = safe(deployment.created_by or "?", limit=60, ascii_only=ascii_only)
    _line(text, "Created", Text(f"{created} by ").append_text(by))
    status = Text()
    status.append_text(safe(deployment.deployment_status or "?", limit=40, ascii_only=ascii_only))
    status.append(sep(ascii_only))
    status.append_text(safe(deployment.installation_status or "?", limit=40))
    _line(text, "Status", status)
    latest = status_text(deployment.latest_execution_status, palette=palette, ascii_only=ascii_only)
    if deployment.latest_execution_workflow_id:
        latest.append(" ")
        latest.append_text(safe(deployment.latest_execution_workflow_id, limit=80))
    _line(text, "Latest", latest)
    return text


def labels_text(labels: tuple[Label, ...], *, ascii_only: bool) -> Text:
    """`env=prod  region=eu-west  team=payments`, in the manager's order."""
    if not labels:
        return Text("no labels", style="dim")
    text = Text()
    for index, label in enumerate(labels):
        if index:
            text.append("  ")
        text.append_text(safe(label.key, "bold", limit=100, ascii_only=ascii_only))
        text.append("=")
        text.append_text(safe(label.value, limit=200, ascii_only=ascii_only))
    return text


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)


def values_text(
    values: dict[str, Any],
    definitions: dict[str, Any],
    *,
    empty: str,
    ascii_only: bool,
    inputs: dict[str, Any] | None = None,
) -> Text:
    """`name: value` per entry, sorted by name. A value read from a secret, or named
    like a credential, is shown as hidden with the reason; never in clear."""
    if not values:
        return Text(empty, style="dim")
    text = Text()
    mask = glyph("secret", ascii_only) * 8
    for index, name in enumerate(sorted(values, key=str)):
        if index:
            text.append("\n")
        text.append_text(safe(name, "bold", limit=100, ascii_only=ascii_only))
        text.append(": ")
        why = hidden_because(str(name), definitions.get(name), inputs)
        if why:
            text.append(f"{mask} ", style="bold")
            text.append_text(safe(f"(hidden: {why})", "dim", limit=200, ascii_only=ascii_only))
            continue
        text.append_text(safe(_value(values[name]), limit=VALUE_LIMIT, ascii_only=ascii_only))
    return text


def evaluated_text(
    part: Part,
    definitions: Any,
    *,
    what: str,
    ascii_only: bool,
    inputs: dict[str, Any] | None = None,
) -> Text:
    """Outputs or capabilities as the manager evaluated them, or why they could not
    be read (the definitions from the deployment, and the inputs they read, say where
    each value comes from)."""
    if not part.ok:
        text = Text(f"{what.capitalize()} could not be read: ", style="bold")
        return text.append_text(safe(part.error, limit=400, ascii_only=ascii_only))
    declared = definitions if isinstance(definitions, dict) else {}
    return values_text(
        part.value or {},
        {name: d.get("value") if isinstance(d, dict) else d for name, d in declared.items()},
        empty=f"no {what}",
        ascii_only=ascii_only,
        inputs=inputs,
    )


def instances_summary(
    instances: Instances, *, palette: Palette, ascii_only: bool, stalled: bool = False
) -> Text:
    """`✓ 3 started  ◐ 1 created  · 1 uninitialized  (5 node instances)`; `stalled`:
    no execution of the deployment runs (see `instance_state_text`)."""
    if instances.error:
        text = Text("Node instances could not be read: ", style="bold")
        return text.append_text(safe(instances.error, limit=400, ascii_only=ascii_only))
    if not instances.items:
        return Text("no node instances", style="dim")
    text = Text()
    for index, (state, count) in enumerate(instances.by_state()):
        if index:
            text.append("  ")
        drawn = instance_state_text(state, palette=palette, ascii_only=ascii_only, stalled=stalled)
        mark, _, word = drawn.plain.partition(" ")
        text.append(f"{mark} {count} ", style=drawn.style)
        text.append(word, style=drawn.style)
    text.append(f"  ({fmt.plural(instances.total, 'node instance')}")
    if not instances.complete:
        text.append(f", the first {len(instances.items)} counted")
    text.append(")")
    return text
