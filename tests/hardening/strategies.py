"""Hypothesis strategies for hostile manager answers, for every endpoint the app reads.

An answer is built in layers: a document of the expected shape whose fields are kept,
dropped, retyped, nulled or replaced by hostile text (markup, ANSI/OSC/C1 sequences,
NUL, DEL, bidi and zero-width characters, lone surrogates, 1 MB strings), extra fields
added; then maybe the envelope broken; then the bytes maybe spoiled (truncated, not
JSON, an HTML error page, deeply nested) and the status changed.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from tests.hardening.hostile import (
    Reply,
    deployment_doc,
    dumps,
    event_doc,
    execution_doc,
    page,
    version_doc,
    workflow_doc,
)

PAYLOADS = (
    "[@click=app.pwned]CLICK[/]",
    "[@click=app.quit]Q[/]",
    "[link=https://evil.example/x]LINK[/link]",
    "[b]bold[/b]",
    "[/]",
    "[",
    "\x1b]0;PWNED\x07",
    "\x1b]0;PWNED\x1b\\",
    "\x1b]52;c;UFdORUQ=\x07",
    "\x1b]8;;https://evil.example\x07OSC8\x1b]8;;\x07",
    "\x1b[2J",
    "\x1b[31mred\x1b[0m",
    "\x9b2J",
    "\x9d0;PWNED\x9c",
    "\x00",
    "\x7f",
    "\x08",
    "\r",
    "\n",
    "\t",
    "\u202e",
    "\u2066",
    "\u061c",
    "\u200b",
    "\u200f",
    "\ufeff",
    "\ud800",
    "\udfff",
    "عربي",
    "²",
    "9" * 4400,
    "-",
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:59:59-05:00",
    "not-a-date",
    "terminated",
    "started",
    "cancelling",
)

hostile_text = st.lists(
    st.one_of(st.sampled_from(PAYLOADS), st.text(max_size=8)), min_size=0, max_size=5
).map("".join)
huge_text = st.sampled_from(
    ["A" * (1 << 20), "\x1b]0;PWNED\x07" * (1 << 16), "[" * (1 << 20), "é\n" * (1 << 19)]
)
scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    hostile_text,
)
json_value = st.recursive(
    scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(hostile_text, inner, max_size=3)
    ),
    max_leaves=6,
)
deep = st.sampled_from([30, 300, 900]).map(lambda n: json.loads("[" * n + "]" * n))
wrong = st.one_of(json_value, deep)


@st.composite
def spoiled(draw: st.DrawFn, doc: dict[str, Any], *, keep_id: bool = False) -> dict[str, Any]:
    """Each field kept, dropped, nulled, retyped or made hostile; extra fields added."""
    out: dict[str, Any] = {}
    for key, value in doc.items():
        how = draw(st.sampled_from(["keep", "keep", "hostile", "wrong", "null", "drop", "huge"]))
        if keep_id and key == "id" and how in ("drop", "null", "wrong"):
            how = "hostile"
        if how == "keep":
            out[key] = value
        elif how == "hostile":
            out[key] = draw(hostile_text)
        elif how == "wrong":
            out[key] = draw(wrong)
        elif how == "null":
            out[key] = None
        elif how == "huge":
            out[key] = draw(huge_text) if draw(st.integers(0, 9)) == 0 else draw(hostile_text)
    for _ in range(draw(st.integers(0, 2))):
        out[draw(hostile_text)] = draw(json_value)
    return out


@st.composite
def workflow(draw: st.DrawFn) -> Any:
    params = draw(
        st.dictionaries(
            hostile_text,
            st.one_of(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "type": st.one_of(st.sampled_from(["string", "integer", "list"]), wrong),
                        "default": wrong,
                        "description": hostile_text,
                        "required": wrong,
                        "constraints": wrong,
                    },
                ),
                wrong,
            ),
            max_size=3,
        )
    )
    return draw(st.one_of(spoiled(workflow_doc(draw(hostile_text), **params)), wrong))


@st.composite
def deployment(draw: st.DrawFn, dep_id: str | None = None) -> Any:
    doc = deployment_doc(dep_id if dep_id is not None else draw(hostile_text))
    out = draw(spoiled(doc, keep_id=dep_id is not None))
    if draw(st.booleans()):
        out["workflows"] = draw(st.lists(workflow(), max_size=4))
    return out


@st.composite
def execution(draw: st.DrawFn, exec_id: str | None = None) -> Any:
    doc = execution_doc(exec_id if exec_id is not None else draw(hostile_text), "dep")
    return draw(spoiled(doc, keep_id=exec_id is not None))


@st.composite
def event(draw: st.DrawFn) -> Any:
    return draw(spoiled(event_doc(draw(st.integers(0, 5)), draw(hostile_text))))


@st.composite
def envelope(draw: st.DrawFn, item: st.SearchStrategy[Any]) -> Any:
    items = draw(st.lists(st.one_of(item, item, wrong), max_size=5))
    if items and draw(st.booleans()):
        items.append(items[0])  # a repeated id
    doc = page(items, total=draw(st.one_of(st.none(), st.integers(-5, 10**6))))
    how = draw(st.sampled_from(["keep", "keep", "keep", "spoil", "wrong"]))
    if how == "spoil":
        return draw(spoiled(doc))
    if how == "wrong":
        return draw(wrong)
    return doc


DOCUMENTS: dict[str, st.SearchStrategy[Any]] = {
    "version": st.one_of(st.just(version_doc()), spoiled(version_doc())),
    "deployments": envelope(deployment()),
    "deployment": deployment(dep_id="dep"),
    "executions": envelope(execution()),
    "execution": execution(exec_id="exec-dep"),
    "start": execution(exec_id="new-exec"),
    "action": execution(exec_id="exec-dep"),
    "events": envelope(event()),
}
OK_STATUS = {"start": 201}


@st.composite
def reply(draw: st.DrawFn, endpoint: str) -> Reply:
    """One hostile answer for `endpoint`, bytes and status included."""
    ok = OK_STATUS.get(endpoint, 200)
    status = draw(
        st.one_of(
            st.just(ok),
            st.just(ok),
            st.just(ok),
            st.sampled_from([200, 201, 204, 302, 400, 401, 403, 404, 409, 413, 500, 502, 503]),
        )
    )
    if status >= 400 and draw(st.booleans()):
        doc: Any = {
            "message": draw(st.one_of(hostile_text, huge_text, wrong)),
            "error_code": draw(
                st.one_of(
                    st.sampled_from(
                        [
                            "existing_running_execution_error",
                            "not_found_error",
                            "unauthorized_error",
                            "internal_server_error",
                        ]
                    ),
                    wrong,
                )
            ),
            "server_traceback": draw(wrong),
        }
    else:
        doc = draw(DOCUMENTS[endpoint])
    try:
        body = dumps(doc)
    except (RecursionError, ValueError):
        body = b"[]"
    form = draw(
        st.sampled_from(["json"] * 6 + ["truncated", "cut", "html", "bytes", "empty", "deep"])
    )
    content_type = "application/json"
    length = None
    if form == "truncated":  # valid length, broken JSON
        body = body[: draw(st.integers(0, max(0, len(body) - 1)))]
    elif form == "cut":  # announces more than it sends, then closes
        length = len(body) + draw(st.integers(1, 1000))
    elif form == "html":
        title = draw(hostile_text).encode("utf-8", "surrogatepass")
        body = b"<html><head><title>502 Bad Gateway</title></head><body><h1>" + title
        body += b"</h1><hr><center>nginx</center></body></html>"
        content_type = "text/html"
    elif form == "bytes":
        body = draw(st.binary(max_size=64))
        content_type = draw(st.sampled_from(["application/json", "text/plain"]))
    elif form == "empty":
        body = b""
    elif form == "deep":
        depth = draw(st.sampled_from([2000, 100_000]))
        body = b"[" * depth + b"]" * depth
    delay = draw(st.sampled_from([0.0] * 9 + [0.05]))
    return Reply(status=status, body=body, content_type=content_type, length=length, delay=delay)
