"""Deployment labels: the real validation of a label list, and their storage.

Labels live in their own table, `deployments_labels` (one row per deployment, key and
value, indexed by key and value), not in the deployment's row: a label filter over
10,000 deployments is then a lookup in that index, as it is in the real manager's
`deployments_labels` table. A label row keeps when and by whom it was made, and a
replacement of the set (`PATCH /deployments/<id>`) keeps the rows of the labels that
stay, as the real `update_resource_labels` does.

Validation follows the real `rest_utils.get_labels_list` / `parse_label` (7.0.4): a
list of one-entry dicts whose value may be a list of values, keys of URL-safe
characters (lowercased), values without control characters or `"` (NFKC-normalised),
at most 256 characters each, `csys-` keys only the reserved ones, no label twice.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from tui.manager.errors import BadParameters
from tui.manager.store import Store, marks

RESERVED_PREFIX = "csys-"
# The real `constants.RESERVED_LABELS` is a set; this is the order a 7.0.4 service
# listed it in when probed (a Python set's order may differ between processes).
RESERVED_LABELS = (
    "csys-wrcp-group-id",
    "csys-environment",
    "csys-obj-name",
    "csys-obj-parent",
    "csys-wrcp-services",
    "csys-location-lat",
    "csys-location-long",
    "csys-consumer-id",
    "csys-location-name",
    "csys-obj-type",
    "csys-env-type",
)
# Keys whose values the real manager stores lowercased (`create_resource_labels`).
LOWERCASE_LABELS = ("csys-obj-type",)
BAD_LABELS_LIST = (
    "Labels must be a list of 1-entry dictionaries: "
    "[{<key1>: <value1>}, {<key2>: [<value2>, <value3>]}, ...]"
)
_BOUNDS = {"csys-location-lat": ("latitude", 90.0), "csys-location-long": ("longitude", 180.0)}


def _check_bounds(key: str, value: str) -> None:
    """The real range checks of the location labels."""
    if key not in _BOUNDS:
        return
    name, bound = _BOUNDS[key]
    try:
        number = float(value)
        ok = -bound <= number <= bound
    except ValueError:
        ok = False
    if not ok:
        raise BadParameters(
            f"Invalid {name} `{value}`. Must be a number between -{bound:g} and {bound:g}"
        )


def parse_label(key: Any, value: Any) -> tuple[str, str]:
    """One label checked as the real `parse_label` does: (key lowercased, value
    NFKC-normalised)."""
    if not isinstance(key, str) or not isinstance(value, str):
        raise BadParameters(BAD_LABELS_LIST)
    if len(key) > 256 or len(value) > 256:
        raise BadParameters(
            "The key or value is too long. Maximum allowed length is 256 characters"
        )
    if quote(key, safe="") != key:
        raise BadParameters(
            f"The key `{key}` contains illegal characters. Only letters, digits and the "
            "characters `-`, `.` and `_` are allowed"
        )
    if any(unicodedata.category(char)[0] == "C" or char == '"' for char in value):
        raise BadParameters(
            f'The value `{value}` contains illegal characters. Control characters and `"` '
            "are not allowed."
        )
    parsed_key, parsed_value = key.lower(), unicodedata.normalize("NFKC", value)
    if parsed_key.startswith(RESERVED_PREFIX) and parsed_key not in RESERVED_LABELS:
        raise BadParameters(
            f"All labels with a `{RESERVED_PREFIX}` prefix are reserved for internal use. "
            f"Allowed `{RESERVED_PREFIX}` prefixed labels are: {', '.join(RESERVED_LABELS)}"
        )
    _check_bounds(parsed_key, parsed_value)
    return parsed_key, parsed_value


def labels_list(raw: Any) -> list[tuple[str, str]]:
    """A request's labels (`[{k: v}, {k: [v1, v2]}, ...]`) as checked (key, value)
    pairs, in the order given; the real `get_labels_list`."""
    if not isinstance(raw, list):  # the real code iterates whatever it is given
        raise BadParameters(BAD_LABELS_LIST)
    pairs: list[tuple[str, str]] = []
    for label in raw:
        if not isinstance(label, dict) or len(label) != 1:
            raise BadParameters(BAD_LABELS_LIST)
        ((key, raw_value),) = label.items()
        for value in raw_value if isinstance(raw_value, list) else [raw_value]:
            pairs.append(parse_label(key, value))
    if len(set(pairs)) != len(pairs):
        raise BadParameters("You cannot define the same label twice")
    return [(key, value.lower() if key in LOWERCASE_LABELS else value) for key, value in pairs]


def labels_of(store: Store, pks: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """The labels of each deployment of `pks`, as a deployment shows them, oldest first."""
    result: dict[int, list[dict[str, Any]]] = {pk: [] for pk in pks}
    for start in range(0, len(pks), 500):
        chunk = list(pks[start : start + 500])
        rows = store.all(
            "SELECT deployment_pk, key, value, created_at, created_by FROM deployments_labels "
            f"WHERE deployment_pk IN ({marks(chunk)}) ORDER BY deployment_pk, rowid",
            chunk,
        )
        for row in rows:
            result[row["deployment_pk"]].append(
                {
                    "key": row["key"],
                    "value": row["value"],
                    "created_at": row["created_at"],
                    "created_by": row["created_by"],
                }
            )
    return result


def add_labels(
    store: Store, pk: int, pairs: Sequence[tuple[str, str]], stamp: str, created_by: str
) -> None:
    """Store new labels of deployment `pk`, made at `stamp` by `created_by`."""
    store.executemany(
        "INSERT OR IGNORE INTO deployments_labels "
        "(deployment_pk, key, value, created_at, created_by) VALUES (?,?,?,?,?)",
        [(pk, key, value, stamp, created_by) for key, value in pairs],
    )


def replace_labels(
    store: Store, pk: int, pairs: Sequence[tuple[str, str]], stamp: str, created_by: str
) -> None:
    """Make `pairs` the labels of deployment `pk`: labels that stay keep their rows
    (and when and by whom they were made), others go, new ones are added. The real
    manager computes `csys-consumer-id` itself: it is neither removed nor set here."""
    wanted = [(k, v) for k, v in pairs if k != "csys-consumer-id"]
    current = {
        (r["key"], r["value"])
        for r in store.all(
            "SELECT key, value FROM deployments_labels WHERE deployment_pk = ?", (pk,)
        )
    }
    gone = [
        label for label in current if label not in set(wanted) and label[0] != "csys-consumer-id"
    ]
    store.executemany(
        "DELETE FROM deployments_labels WHERE deployment_pk = ? AND key = ? AND value = ?",
        [(pk, key, value) for key, value in gone],
    )
    add_labels(store, pk, [label for label in wanted if label not in current], stamp, created_by)


def delete_labels(store: Store, pk: int) -> None:
    store.execute("DELETE FROM deployments_labels WHERE deployment_pk = ?", (pk,))
