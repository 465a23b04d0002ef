"""How a table is declared once (see `tables.py`).

Each `Column` says at once how a value is stored (the SQL schema is made from the
stored columns), which API key shows it and how (rendering, and the keys `_include`
accepts), and whether that key filters and sorts, through which SQL expression. A key
need not be stored: it can be computed from other columns, be a constant the real
manager always answers, or be given by the caller when it depends on more than the row
(a secret's value depends on who asks).
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

TEXT = "text"
INT = "int"
BOOL = "bool"

Row = sqlite3.Row | Mapping[str, Any]
Render = Callable[[Row], Any]


def dumps(value: Any) -> str:
    """A JSON column's text."""
    return json.dumps(value, separators=(",", ":"), sort_keys=False)


def loads(text: str | None, default: Any = None) -> Any:
    """A JSON column's value; `default` for SQL NULL."""
    return default if text is None else json.loads(text)


@dataclass(frozen=True)
class Field:
    """How a key filters and sorts: an SQL expression, and the kind a query argument is
    converted to before it is compared with it."""

    sql: str
    kind: str = TEXT


class _Given:
    def __repr__(self) -> str:
        return "GIVEN"


GIVEN: Any = _Given()  # the value of the key comes from the caller of `Table.render`


@dataclass(frozen=True)
class Column:
    key: str | None  # the API key; None: stored, never shown
    name: str | None  # the column (of the table or its view) the key reads
    type: str | None  # SQL type of a column this table stores; None: not stored here
    field: Field | None  # how the key filters and sorts
    render: Render | None  # the key's value from a row (GIVEN: from the caller)
    filter: bool = True
    sort: bool = True
    shown: bool = True  # a key of the object, and an `_include` key
    when: Callable[[Row], bool] | None = None  # only rows where this holds have the key


def _reader(name: str, kind: str, empty: Callable[[], Any] | None) -> Render:
    if empty is not None:
        return lambda row: loads(row[name]) if row[name] is not None else empty()
    if kind == BOOL:
        return lambda row: bool(row[name])
    return itemgetter(name)


def column(
    key: str,
    type: str | None = None,
    kind: str = TEXT,
    *,
    name: str | None = None,
    sql: str | None = None,
    json: Callable[[], Any] | None = None,
    render: Render | None = None,
    filter: bool = True,
    sort: bool = True,
    shown: bool = True,
    when: Callable[[Row], bool] | None = None,
) -> Column:
    """A key read from column `name` (default: the key) of the table, stored with SQL
    `type` (None: a column of the table's view, or a computed key when `sql` and
    `render` say how). `json` makes an empty value for SQL NULL of a JSON column."""
    name = name or key
    return Column(
        key,
        name,
        type,
        Field(sql or name, kind),
        render or _reader(name, kind, json),
        filter,
        sort,
        shown,
        when,
    )


def _literal(value: Any) -> Field:
    if value is None:
        return Field("NULL")
    if isinstance(value, bool):
        return Field(str(int(value)), BOOL)
    if isinstance(value, int):
        return Field(str(value), INT)
    if isinstance(value, str):
        return Field("'" + value.replace("'", "''") + "'")
    return Field("NULL")


def constant(
    key: str, value: Any, *, filter: bool = True, sort: bool | None = None, shown: bool = True
) -> Column:
    """A key the real manager always answers with `value` here (a feature this manager
    does not have); it filters and (unless told otherwise) sorts as that constant."""
    fresh: Render = (
        (lambda row: type(value)(value)) if isinstance(value, (list, dict)) else (lambda row: value)
    )
    sorts = filter if sort is None else sort
    return Column(key, None, None, _literal(value), fresh, filter, sorts, shown)


def given(
    key: str,
    type: str | None = None,
    *,
    sql: str | None = None,
    filter: bool = True,
    sort: bool = True,
) -> Column:
    """A key whose value the caller gives (`Table.render(row, key=value)`): it depends
    on more than the row. Stored with `type` when given one."""
    return Column(key, key, type, Field(sql or key), GIVEN, filter, sort)


def stored(name: str, type: str) -> Column:
    """A stored column no API key shows."""
    return Column(None, name, type, None, None, False, False, False)


def alias(key: str, sql: str) -> Column:
    """A filter key that is no key of the object (`node_id` of an event means its node's
    name)."""
    return Column(key, None, None, Field(sql), None, True, False, False)


class Table:
    """A table (and the API object a row of it is shown as), declared once."""

    def __init__(self, name: str, *columns: Column, constraints: tuple[str, ...] = ()) -> None:
        self.name = name
        self.columns = columns
        self.constraints = constraints
        # filter and sort keys, in declaration order (the order some errors list them in)
        self.filters = {c.key: c.field for c in columns if c.filter and c.key and c.field}
        self.sorts = {c.key: c.field for c in columns if c.sort and c.key and c.field}
        # the object's keys, which are also the keys `_include` accepts
        self.keys = tuple(c.key for c in columns if c.shown and c.key and c.render)

    def schema(self) -> str:
        """`CREATE TABLE` for the stored columns."""
        parts = [f"{c.name} {c.type}" for c in self.columns if c.type] + list(self.constraints)
        body = ",\n    ".join(parts)
        return f"CREATE TABLE IF NOT EXISTS {self.name} (\n    {body}\n);"

    def render(
        self, row: Row, include: Collection[str] | None = None, **given: Any
    ) -> dict[str, Any]:
        """A row as the API shows it: every key, or those of `include` (in declaration
        order). A given value that is callable is called only when its key is shown."""
        return self.renderer(include)(row, **given)

    def renderer(self, include: Collection[str] | None = None) -> Callable[..., dict[str, Any]]:
        """`render` for many rows with the same `include`."""
        return self._renderer(None if include is None else frozenset(include))

    @functools.lru_cache(maxsize=64)  # noqa: B019  (tables live as long as the process)
    def _renderer(self, include: frozenset[str] | None) -> Callable[..., dict[str, Any]]:
        parts = [
            (c.key, c.render, c.when)
            for c in self.columns
            if c.key and c.render and (c.shown if include is None else c.key in include)
        ]
        if all(when is None and read is not GIVEN for _, read, when in parts):
            readers = [(key, read) for key, read, _ in parts]
            return lambda row, **given: {key: read(row) for key, read in readers}

        def render(row: Row, **given: Any) -> dict[str, Any]:
            item: dict[str, Any] = {}
            for key, read, when in parts:
                if when is not None and not when(row):
                    continue
                if read is GIVEN:
                    value = given[key]
                    item[key] = value() if callable(value) else value
                else:
                    item[key] = read(row)
            return item

        return render
