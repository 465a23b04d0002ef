"""The one list pipeline every collection endpoint goes through.

`parse_list_query` reads pagination (`_size`, `_offset`, `_get_all_results`), sorting
(`_sort`, repeatable, `+`/`-`), projection (`_include`) and exact-match filters (a
repeated key means IN), validated with the real manager's messages; `Where` collects
the filters and the scope (the request's tenants, see `Ctx.tenants`); `page` counts
and reads one sorted page; `envelope` wraps it in `items` + `metadata`. A single
object's `_include` goes through `parse_include` too.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import QueryParams

from tui.manager.columns import BOOL, INT, Field, Table
from tui.manager.errors import BadParameters, NoSuchIncludeField, ValidationError
from tui.manager.store import Store, marks


@dataclass
class ListQuery:
    size: int
    offset: int
    get_all: bool
    sort: list[tuple[str, bool]]  # (field, descending)
    include: set[str] | None
    filters: dict[str, list[str]]
    flags: dict[str, list[str]] = field(default_factory=dict)

    @property
    def limit(self) -> tuple[int, int]:
        """LIMIT and OFFSET of the page (a LIMIT of -1 is none)."""
        return (-1, 0) if self.get_all else (self.size, self.offset)


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


def pagination_int(params: QueryParams, name: str, default: int) -> int:
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


def parse_include(params: QueryParams, includable: Iterable[str] | None) -> set[str] | None:
    """The `_include` projection (repeatable, comma-separated), or None for every key;
    a name the resource does not have is refused, on single objects as on lists.
    With `includable` None any name is taken (and matches nothing), as `/events` does."""
    raw_include = params.getlist("_include")
    if not raw_include:
        return None
    include = {p.strip() for raw in raw_include for p in raw.split(",") if p.strip()}
    if includable is None:
        return include
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
    size = pagination_int(params, "_size", default_size)
    offset = pagination_int(params, "_offset", 0)
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


class Where:
    """The clauses of a WHERE and their arguments, kept in step."""

    def __init__(self) -> None:
        self.clauses: list[str] = []
        self.args: list[Any] = []

    def add(self, clause: str, *args: Any) -> Where:
        self.clauses.append(clause)
        self.args.extend(args)
        return self

    def within(self, column: str, values: Sequence[Any]) -> Where:
        """`column` is one of `values` (the request's tenants, say)."""
        return self.add(f"{column} IN ({marks(values)})", *values)

    def filtered(self, fields: Mapping[str, Field], filters: dict[str, list[str]]) -> Where:
        """The exact-match filters of a list query, each key through its field's SQL."""
        for key, values in filters.items():
            spec = fields[key]
            self.add(f"{spec.sql} IN ({marks(values)})", *(_convert(v, spec.kind) for v in values))
        return self

    @property
    def sql(self) -> str:
        return " AND ".join(self.clauses) or "1"


def order_by(
    fields: Mapping[str, Field], sort: list[tuple[str, bool]], tiebreak: Sequence[str]
) -> str:
    parts = [f"{fields[name].sql} {'DESC' if desc else 'ASC'}" for name, desc in sort]
    parts.extend(tiebreak)
    return ", ".join(parts)


def page(
    store: Store,
    q: ListQuery,
    source: str,
    fields: Mapping[str, Field],
    where: Where,
    tiebreak: Sequence[str],
    *,
    columns: str = "*",
    key: str | None = None,
    hint: str = "",
) -> tuple[list[sqlite3.Row], int]:
    """One page of `source` (a table, view or `table alias`) and the total that matches.

    `tiebreak` orders what the sort keys leave equal, so that pages never overlap;
    `hint` (an `INDEXED BY`) applies to the page, not the count. With `key`, see
    `_page_by_key`.
    """
    if key is not None:
        return _page_by_key(store, q, source, fields, where, tiebreak, key)
    total = store.one(f"SELECT COUNT(*) AS n FROM {source} WHERE {where.sql}", where.args)["n"]
    order = order_by(fields, q.sort, tiebreak)
    rows = store.all(
        f"SELECT {columns} FROM {source}{hint} WHERE {where.sql} ORDER BY {order} LIMIT ? OFFSET ?",
        [*where.args, *q.limit],
    )
    return rows, total


def _page_by_key(
    store: Store,
    q: ListQuery,
    source: str,
    fields: Mapping[str, Field],
    where: Where,
    tiebreak: Sequence[str],
    key: str,
) -> tuple[list[sqlite3.Row], int]:
    """Count, filter, sort and skip on `key` only, then read the page's rows by it:
    SQLite then drops a view's join where no filter or sort key needs it, and never
    reads (nor sorts) the large rows outside the page. The `LIMIT -1` keeps the count's
    subquery from being flattened back into a join."""
    total = store.one(
        f"SELECT COUNT(*) AS n FROM (SELECT {key} FROM {source} WHERE {where.sql} LIMIT -1)",
        where.args,
    )["n"]
    order = order_by(fields, q.sort, tiebreak)
    keys = [
        r[key]
        for r in store.all(
            f"SELECT {key} FROM {source} WHERE {where.sql} ORDER BY {order} LIMIT ? OFFSET ?",
            [*where.args, *q.limit],
        )
    ]
    by_key = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        for row in store.all(f"SELECT * FROM {source} WHERE {key} IN ({marks(chunk)})", chunk):
            by_key[row[key]] = row
    return [by_key[k] for k in keys], total


def tenant_page(
    store: Store, params: QueryParams, table: Table, tenants: Sequence[str]
) -> tuple[list[sqlite3.Row], int, ListQuery]:
    """The common list of a tenant's resources (`table`, stored under its own name):
    the query read against the table's declared keys, the tenants' rows filtered,
    sorted and paged, oldest first when the sort leaves them equal."""
    q = parse_list_query(
        params,
        filterable=list(table.filters),
        sortable=list(table.sorts),
        includable=table.keys,
    )
    where = Where().within("tenant", list(tenants)).filtered(table.filters, q.filters)
    rows, total = page(store, q, table.name, table.filters, where, ("created_at ASC", "pk ASC"))
    return rows, total, q


def envelope(
    items: list[dict[str, Any]], total: int, query: ListQuery, *, with_filtered: bool = True
) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "pagination": {"total": total, "size": query.size, "offset": query.offset}
    }
    if with_filtered:
        metadata["filtered"] = None
    return {"items": items, "metadata": metadata}


def project(item: dict[str, Any], include: Collection[str] | None) -> dict[str, Any]:
    """`item` with only the keys of `include` (None: every key)."""
    if include is None:
        return item
    return {k: v for k, v in item.items() if k in include}
