"""List semantics shared by every collection endpoint.

Pagination (`_size`, `_offset`, `_get_all_results`), sorting (`_sort`, repeatable,
`+`/`-`), projection (`_include`) and exact-match filters (a repeated key means IN),
validated with the real manager's messages, and the `items` + `metadata` envelope.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import QueryParams

from tui.manager.errors import BadParameters, NoSuchIncludeField, ValidationError

BOOL = "bool"
INT = "int"
TEXT = "text"


@dataclass(frozen=True)
class Field:
    sql: str
    kind: str = TEXT


@dataclass
class ListQuery:
    size: int
    offset: int
    get_all: bool
    sort: list[tuple[str, bool]]  # (field, descending)
    include: set[str] | None
    filters: dict[str, list[str]]
    flags: dict[str, list[str]] = field(default_factory=dict)


def parse_bool(value: Any, name: str = "value") -> bool:
    """The real `verify_and_convert_bool`: a JSON boolean, or the text true/false in any
    case; anything else (`yes`, `1`, an empty string, null) is a 400."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise BadParameters(f"{name} must be <true/false>, got {value}")


def query_bool(params: QueryParams, key: str, name: str | None = None) -> bool:
    """A boolean query argument: false when absent, else as `parse_bool`. `name` is the
    name the real message uses (`all_tenants` for `_all_tenants`)."""
    value = params.get(key)
    return False if value is None else parse_bool(value, name or key)


def _pagination_int(params: QueryParams, name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError(
            f"1 validation error for Pagination\n{name}\n  value is not a valid integer "
            "(type=type_error.integer)"
        ) from None
    if value < 0:
        raise ValidationError(
            f"1 validation error for Pagination\n{name}\n  ensure this value is greater than "
            "or equal to 0 (type=value_error.number.not_ge; limit_value=0)"
        )
    return value


def _shown(keys: Iterable[str]) -> list[str]:
    """Allowed keys as an error message lists them: in the order given when that is
    a sequence (the real manager lists a model's columns in their own order), sorted
    otherwise."""
    return list(keys) if isinstance(keys, (list, tuple)) else sorted(keys)


def parse_include(params: QueryParams, includable: Iterable[str]) -> set[str] | None:
    """The `_include` projection (repeatable, comma-separated), or None for every key;
    a name the resource does not have is refused, on single objects as on lists."""
    raw_include = params.getlist("_include")
    if not raw_include:
        return None
    include = {p.strip() for raw in raw_include for p in raw.split(",") if p.strip()}
    allowed = set(includable)
    unknown = sorted(include - allowed)
    if unknown:
        raise NoSuchIncludeField(
            f"Include keys '{unknown}' do not exist. Allowed keys are: {_shown(includable)}"
        )
    return include


def parse_list_query(
    params: QueryParams,
    *,
    filterable: Iterable[str],
    sortable: Iterable[str],
    includable: Iterable[str],
    default_size: int = 1000,
) -> ListQuery:
    size = _pagination_int(params, "_size", default_size)
    offset = _pagination_int(params, "_offset", 0)
    get_all = query_bool(params, "_get_all_results")

    sort_keys = _shown(sortable)
    sortable = set(sortable)
    sort: list[tuple[str, bool]] = []
    bad_sort = []
    for raw in params.getlist("_sort"):
        desc = raw.startswith("-")
        name = raw.lstrip("+-")
        if name not in sortable:
            bad_sort.append(name)
        sort.append((name, desc))
    if bad_sort:
        raise BadParameters(f"Sort keys '{bad_sort}' do not exist. Allowed keys are: {sort_keys}")

    include = parse_include(params, includable)

    filter_keys = _shown(filterable)
    filterable = set(filterable)
    filters: dict[str, list[str]] = {}
    flags: dict[str, list[str]] = {}
    bad_filters = []
    for key, value in params.multi_items():
        if key.startswith("_"):
            flags.setdefault(key, []).append(value)
        elif key in filterable:
            filters.setdefault(key, []).append(value)
        else:
            bad_filters.append(key)
    if bad_filters:
        raise BadParameters(
            f"Filter keys '{sorted(set(bad_filters))}' do not exist. Allowed keys are: "
            f"{filter_keys}"
        )
    return ListQuery(size, offset, get_all, sort, include, filters, flags)


def _convert(value: str, kind: str) -> Any:
    if kind == BOOL:
        low = value.strip().lower()
        if low in ("true", "false"):
            return 1 if low == "true" else 0
    if kind == INT:
        try:
            return int(value)
        except ValueError:
            return value
    return value


def build_where(
    fields: dict[str, Field], filters: dict[str, list[str]]
) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    args: list[Any] = []
    for key, values in filters.items():
        spec = fields[key]
        marks = ",".join("?" for _ in values)
        clauses.append(f"{spec.sql} IN ({marks})")
        args.extend(_convert(v, spec.kind) for v in values)
    return clauses, args


def order_by(fields: dict[str, Field], sort: list[tuple[str, bool]], tiebreak: list[str]) -> str:
    parts = [f"{fields[name].sql} {'DESC' if desc else 'ASC'}" for name, desc in sort]
    parts.extend(tiebreak)
    return ", ".join(parts)


def tenant_clause(tenants: list[str], column: str = "tenant") -> str:
    return f"{column} IN ({','.join('?' for _ in tenants)})"


def envelope(
    items: list[dict[str, Any]], total: int, query: ListQuery, *, with_filtered: bool = True
) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "pagination": {"total": total, "size": query.size, "offset": query.offset}
    }
    if with_filtered:
        metadata["filtered"] = None
    return {"items": items, "metadata": metadata}


def project(item: dict[str, Any], include: set[str] | None) -> dict[str, Any]:
    if include is None:
        return item
    return {k: v for k, v in item.items() if k in include}
