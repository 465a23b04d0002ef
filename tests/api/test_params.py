"""`tui/api/params.py`: the start form's YAML, client-side validation and the
equivalent `cfy` command.

The workflows come from a real embedded manager (`GET /deployments/<id>`), and
client-side validation is checked against what that manager accepts or refuses for
the same parameters.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.cfy_cli import Cfy, CliInstallError, ensure_cfy_cli
from tests.conftest import admin_client
from tests.manager_process import PASSWORDS, ManagerProcess
from tui.api import BadParameters, Deployment, ManagerClient, ParameterSpec, Workflow
from tui.api.params import (
    ParameterProblems,
    changed_parameters,
    defaults_document,
    equivalent_command,
    evaluated_by_manager,
    intrinsic_function,
    parse_document,
    validate,
)
from tui.screens.start import evaluated_notes

DEMO = {"default_tenant": ["web-prod", "db-main", "analytics", "db-replica"]}


@pytest.fixture(scope="module")
def workflows(module_manager: ManagerProcess) -> dict[tuple[str, str], Workflow]:
    """Every workflow of the demo deployments, as the client parses them."""
    found: dict[tuple[str, str], Workflow] = {}
    with admin_client(module_manager) as http:
        for dep_id in DEMO["default_tenant"]:
            deployment = Deployment.from_json(http.get(f"/deployments/{dep_id}").json())
            assert deployment is not None
            for workflow in deployment.workflows:
                found[(dep_id, workflow.name)] = workflow
    return found


def declared(workflow: Workflow) -> dict[str, Any]:
    """What the defaults document should read back as."""
    return {s.name: (s.default if s.has_default else None) for s in workflow.parameters}


def problems_of(workflow: Workflow, values: dict[str, Any], **kw: Any) -> tuple[str, ...]:
    with pytest.raises(ParameterProblems) as info:
        validate(workflow, values, **kw)
    return info.value.problems


# -- the defaults document -----------------------------------------------------------------


def test_defaults_document_of_reindex(workflows: dict[tuple[str, str], Workflow]) -> None:
    assert defaults_document(workflows[("analytics", "reindex")]) == (
        "# boolean: Rebuild from scratch instead of incrementally.\n"
        "full: false\n"
        "# list: Shard names to rebuild; empty means all.\n"
        "shards: []\n"
        "# string\n"
        "priority: normal\n"
    )


def test_defaults_document_marks_mandatory_parameters(
    workflows: dict[tuple[str, str], Workflow],
) -> None:
    assert defaults_document(workflows[("web-prod", "rotate_certificates")]) == (
        "# string, mandatory: The certificate's common name, for example shop.example.com.\n"
        "common_name:   # required: fill in\n"
        "# integer: How long the new certificate is valid.\n"
        "validity_days: 90\n"
    )
    backup = defaults_document(workflows[("db-main", "backup")])
    assert "# list of string: Only these tables; empty means all.\ntables: []\n" in backup
    assert "destination: s3://backups/postgres\n" in backup
    assert "compress: true\n" in backup
    # Optional without a default (`required: false`) is not mandatory.
    heal = defaults_document(workflows[("web-prod", "heal")])
    assert "# node_instance: Which node instance has failed." in heal
    assert "mandatory" not in heal


def test_defaults_document_round_trips_for_every_demo_workflow(
    workflows: dict[tuple[str, str], Workflow],
) -> None:
    assert len(workflows) > 30
    for workflow in workflows.values():
        document = defaults_document(workflow)
        assert parse_document(document) == declared(workflow), (workflow.name, document)
        for line in document.splitlines():
            assert line.startswith("#") or ":" in line, line


def test_defaults_document_with_values_and_undeclared_extras(
    workflows: dict[tuple[str, str], Workflow],
) -> None:
    restart = workflows[("web-prod", "rolling_restart")]
    values = {"batch_size": 4, "note": "it's: #not a comment", "tags": ["a", "b"]}
    document = defaults_document(restart, values)
    assert "batch_size: 4\n" in document
    assert "drain_timeout: 30\n" in document
    assert "# not declared by the workflow (needs custom parameters allowed)\n" in document
    assert parse_document(document) == {"batch_size": 4, "drain_timeout": 30, **values}


def test_defaults_document_without_parameters(
    workflows: dict[tuple[str, str], Workflow],
) -> None:
    archive = workflows[("analytics", "archive_old_data")]
    document = defaults_document(archive)
    assert document == "# This workflow declares no parameters.\n"
    assert parse_document(document) == {}
    assert parse_document(defaults_document(archive, {"x": 1})) == {"x": 1}


def test_defaults_that_look_like_other_yaml_types_stay_what_they_are() -> None:
    defaults = [
        "yes",
        "no",
        "on",
        "null",
        "~",
        "1.0",
        "0x10",
        "2024-01-01",
        "12:30",
        "",
        " padded ",
        "#hash",
        "a: b",
        "- item",
        "{not: a dict}",
        "multi\nline\n\ntext",
        "tab\there",
        "quote ' and \" both",
        "\x07bell",
        "x" * 3000,
        "word " * 400,
        1,
        -0.5,
        1e300,
        True,
        None,
        [],
        {},
        {"nested": [1, {"deep": None}], "2": "two"},
    ]
    specs = tuple(ParameterSpec(f"p{i}", default=d) for i, d in enumerate(defaults))
    workflow = Workflow("w", specs)
    assert parse_document(defaults_document(workflow)) == declared(workflow)


def test_server_strings_cannot_break_the_document() -> None:
    """Names, types and descriptions come from the blueprint: the document must stay
    parseable and keep its shape whatever they contain."""
    workflow = Workflow(
        "w",
        (
            ParameterSpec("a", type="string\ninjected: 1", description="line\nbreak"),
            ParameterSpec("b", default=1, description="bell\x07 nul\x00 esc\x1b[31m end"),
            ParameterSpec("c", default=2, item_type="x\r\ny: 2", type="list"),
            ParameterSpec("d: e", default=3, description="sep\u2028 nel\x85 bom\ufeff"),
            ParameterSpec("#f", default=4),
        ),
    )
    document = defaults_document(workflow)
    assert parse_document(document) == {"a": None, "b": 1, "c": 2, "d: e": 3, "#f": 4}
    assert len(document.splitlines()) == 10


def document_of(*specs: ParameterSpec, values: dict[str, Any] | None = None) -> str:
    return defaults_document(Workflow("w", specs), values)


def nested(depth: int) -> dict[str, Any] | None:
    """`{"a": {"a": ... null}}`, `depth` mappings deep (built in a loop: a literal or a
    recursive helper would hit the recursion limit first)."""
    value: dict[str, Any] | None = None
    for _ in range(depth):
        value = {"a": value}
    return value


def test_defaults_document_shows_any_for_an_undeclared_type() -> None:
    assert document_of(
        ParameterSpec("free", default=1),
        ParameterSpec("loose", item_type="string"),
        ParameterSpec("told", type="integer", default=2, description="Told."),
    ) == (
        "# any\nfree: 1\n"
        "# any of string, mandatory\nloose:   # required: fill in\n"
        "# integer: Told.\ntold: 2\n"
    )


def test_defaults_document_keeps_the_declared_order_of_keys() -> None:
    """The blueprint's order is the author's: neither the parameters nor the keys of a
    mapping default are sorted."""
    document = document_of(
        ParameterSpec("zeta", default={"when": 1, "always": {"z": None, "b": [2, 1]}}),
        ParameterSpec("alpha", default="a"),
        values={"zz": {"y": 1, "x": 2}, "aa": 3},
    )
    assert document == (
        "# any\nzeta: {when: 1, always: {z: null, b: [2, 1]}}\n"
        "# any\nalpha: a\n"
        "# not declared by the workflow (needs custom parameters allowed)\n"
        "zz: {y: 1, x: 2}\naa: 3\n"
    )


LONG_WORDS = " ".join(["word"] * 30)  # 149 columns: the emitter folds past 80 by default

ONE_LINE = [
    ("plain-text", LONG_WORDS, LONG_WORDS),
    ("in-a-list", [LONG_WORDS, 1], f"[{LONG_WORDS}, 1]"),
    ("quoted", LONG_WORDS + " ", f"'{LONG_WORDS} '"),
    ("up-to-column-1000", "a" * 1000 + " b", "a" * 1000 + " b"),
    # Past the emitter's width of 1000 a value folds; it still reads back the same.
    ("past-column-1000", "a" * 1001 + " b", "a" * 1001 + "\n  b"),
]


@pytest.mark.parametrize(
    ("value", "shown"), [c[1:] for c in ONE_LINE], ids=[c[0] for c in ONE_LINE]
)
def test_defaults_document_keeps_long_values_on_one_line(value: Any, shown: str) -> None:
    """A value folded over lines is hard to edit in the form: up to 1000 columns a
    default stays on the line of its key."""
    document = document_of(ParameterSpec("p", default=value))
    assert document == f"# any\np: {shown}\n"
    assert parse_document(document) == {"p": value}


KEYS = [
    ("plain", "name", "name"),
    ("capital-x", "MAX_X", "MAX_X"),
    ("colon", "d: e", "'d: e'"),
    ("hash", "#f", "'#f'"),
    ("quote", "it's", "it's"),
    ("newline", "a\nb", '"a\\nb"'),
    ("carriage-return", "a\rb", '"a\\rb"'),
    ("next-line", "a\x85b", '"a\\Nb"'),
    ("line-separator", "a\u2028b", '"a\\Lb"'),
    ("paragraph-separator", "a\u2029b", '"a\\Pb"'),
    # A key may not span lines: a long name with a break is not folded either.
    (
        "long-with-newline",
        "x" * 100 + " y\n" + "z" * 100,
        '"' + "x" * 100 + " y\\n" + "z" * 100 + '"',
    ),
]


@pytest.mark.parametrize(("name", "key"), [k[1:] for k in KEYS], ids=[k[0] for k in KEYS])
def test_defaults_document_quotes_keys_only_where_yaml_needs_it(name: str, key: str) -> None:
    document = document_of(ParameterSpec(name, default=1))
    assert document == f"# any\n{key}: 1\n"
    assert parse_document(document) == {name: 1}
    extra = document_of(values={name: 2})
    assert extra == (
        f"# not declared by the workflow (needs custom parameters allowed)\n{key}: 2\n"
    )


def test_defaults_document_shows_a_deep_default_as_json() -> None:
    """The YAML emitter gives up a few hundred levels down; JSON (which is YAML too)
    goes deeper, and the default is still shown whole."""
    document = document_of(ParameterSpec("p", default=nested(500)))
    assert document == "# any\np: " + '{"a": ' * 500 + "null" + "}" * 500 + "\n"


def test_defaults_document_says_when_a_default_is_too_deep_to_show() -> None:
    document = document_of(
        ParameterSpec("p", default=nested(10_000)), ParameterSpec("q", default=1)
    )
    assert document == ("# any\np: null  # the default is nested too deeply to show\n# any\nq: 1\n")
    assert parse_document(document) == {"p": None, "q": 1}


DESCRIPTIONS = [
    ("bell", "ring\x07 the bell", "ring the bell"),
    ("nul-and-escape", "nul\x00 esc\x1b[31m end", "nul esc [31m end"),
    ("control-between-words", "a\x07b\x1bc", "a b c"),
    ("line-breaks", "line\nbreak\r\nand\ttab", "line break and tab"),
    ("unicode-separators", "sep\u2028 nel\x85 bom\ufeffend", "sep nel bom end"),
]


@pytest.mark.parametrize(
    ("description", "shown"), [d[1:] for d in DESCRIPTIONS], ids=[d[0] for d in DESCRIPTIONS]
)
def test_defaults_document_turns_control_characters_into_spaces(
    description: str, shown: str
) -> None:
    """A description comes from the blueprint: in the form's comment it is one line, and
    nothing in it reaches the terminal as a control sequence."""
    document = document_of(ParameterSpec("p", default=1, description=description))
    assert document == f"# any: {shown}\np: 1\n"


def test_defaults_document_cuts_a_long_comment_at_2000_characters() -> None:
    document = document_of(ParameterSpec("p", type="string", default="x", description="d" * 3000))
    assert document == "# string: " + "d" * 1992 + "\np: x\n"


NAMES = st.text(min_size=1, max_size=12)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(NAMES, st.tuples(VALUES, st.booleans(), st.text(max_size=40)), max_size=5),
    st.dictionaries(NAMES, VALUES, max_size=3),
)
def test_defaults_document_round_trips_anything(
    params: dict[str, tuple[Any, bool, str]], values: dict[str, Any]
) -> None:
    specs = tuple(
        ParameterSpec(name, type=description[:8] or None, description=description)
        if not has_default
        else ParameterSpec(name, default=default, description=description)
        for name, (default, has_default, description) in params.items()
    )
    workflow = Workflow("w", specs)
    expected = {**declared(workflow), **values}
    assert parse_document(defaults_document(workflow, values)) == expected


# -- parsing what the user typed ----------------------------------------------------------


UNACCEPTABLE = "unacceptable character #x0007: special characters are not allowed"


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        # YAML's problem, not its context ("while parsing a flow sequence" and the like).
        ("a: 1\nb: [1, 2\nc: 3\n", "line 3, column 2", "expected ',' or ']', but got ':'"),
        ("a: 1\n  b: 2\n", "line 2, column 4", "mapping values are not allowed here"),
        ("a: 'open\n", "line 2, column 1", "found unexpected end of stream"),
        ("a: 1\nb: {x: 1\n", "line 3, column 1", "expected ',' or '}', but got '<stream end>'"),
        ("a: *nowhere\n", "line 1, column 4", "found undefined alias 'nowhere'"),
        ("a:\n\t- 1\n", "line 2, column 1", "found character '\\t' that cannot start any token"),
        ("a: 1\n---\nb: 2\n", "line 2, column 1", "but found another document"),
        # A character YAML refuses: the reader gives a position in the text, not a line.
        ("ok: 1\nbad: \x07\n", "line 2, column 6", UNACCEPTABLE),
        ("a: 1\nb: 2\nc: \x07\n", "line 3, column 4", UNACCEPTABLE),
        ("\x07: 1\n", "line 1, column 1", UNACCEPTABLE),
    ],
)
def test_parse_errors_name_line_and_column(text: str, where: str, problem: str) -> None:
    with pytest.raises(ParameterProblems) as info:
        parse_document(text)
    assert info.value.problems == (f"YAML syntax error at {where}: {problem}",)


@pytest.mark.parametrize(
    ("text", "kind"),
    [("- a\n- b\n", "list"), ("just text\n", "str"), ("42\n", "int"), ("true\n", "bool")],
)
def test_parse_refuses_anything_but_a_mapping(text: str, kind: str) -> None:
    with pytest.raises(ParameterProblems) as info:
        parse_document(text)
    assert info.value.problems == (
        f"Parameters must be a YAML mapping of name: value, not a {kind}",
    )


def test_parse_empty_and_comment_only_documents() -> None:
    assert parse_document("") == {}
    assert parse_document("# nothing here\n\n") == {}
    assert parse_document("a:   # required: fill in\n") == {"a": None}


def test_parse_keeps_what_json_can_carry() -> None:
    """Whatever comes back goes on the wire as JSON and into the equivalent command."""
    parsed = parse_document(
        "when: 2024-01-01\nat: 2024-01-01 10:00:00\nmixed: {1: a, b: c, null: d}\n"
    )
    assert parsed == {
        "when": "2024-01-01",
        "at": "2024-01-01 10:00:00",
        "mixed": {"1": "a", "b": "c", "null": "d"},
    }
    json.dumps(parsed, sort_keys=True)
    equivalent_command("d", "w", parsed)

    for text, name, kind in [
        ("blob: !!binary aGVsbG8=\n", "blob", "bytes"),
        ("ok: 1\nset: !!set {a, b}\n", "set", "set"),
        ("t: !!timestamp 2024-01-01\n", "t", "date"),
        ("loop: &x [*x]\n", "loop", "list"),
    ]:
        with pytest.raises(ParameterProblems) as info:
            parse_document(text)
        assert info.value.problems == (
            f'Parameter "{name}" has a value JSON cannot carry ({kind}); quote it to send text',
        )


# -- validation ----------------------------------------------------------------------------

TYPED = Workflow(
    "typed",
    (
        ParameterSpec("count", type="integer", default=1),
        ParameterSpec("ratio", type="float", default=0.5),
        ParameterSpec("enabled", type="boolean", default=False),
        ParameterSpec("name", type="string", default="x"),
        ParameterSpec("tables", type="list", item_type="string", default=[]),
        ParameterSpec("ports", type="list", item_type="integer", default=[]),
        ParameterSpec("ratios", type="list", item_type="float", default=[]),
        ParameterSpec("flags", type="list", item_type="boolean", default=[]),
        ParameterSpec("anything", type="list", default=[]),
        ParameterSpec("options", type="dict", default={}),
        ParameterSpec("free", default=None),
        ParameterSpec("required_one", type="string"),
        ParameterSpec("optional_one", type="string", required=False),
        ParameterSpec(
            "size", type="string", default="m", constraints=({"valid_values": ["s", "m", "l"]},)
        ),
    ),
)
BASE = {"required_one": "here"}

GOOD = [
    ("count", 3),
    ("count", "3"),
    ("count", "-2"),
    ("count", " 7 "),
    ("count", 4.0),
    ("ratio", 1),
    ("ratio", "1.5"),
    ("ratio", 2.25),
    ("enabled", True),
    ("enabled", "false"),
    ("enabled", "TRUE"),
    ("name", ""),
    ("name", "plain"),
    ("tables", []),
    ("tables", ["a", "b"]),
    ("ports", [1, "2"]),
    ("ratios", [1, "2.5", 0.5]),
    ("flags", [True, "false", "TRUE"]),
    ("anything", [1, "a", None, {"k": []}]),
    ("options", {}),
    ("options", {"a": [1]}),
    # `dict` is not type-checked by the manager: `_convert_param_type` passes it on.
    ("options", []),
    ("options", "a=1"),
    ("options", None),
    ("free", None),
    ("free", {"any": "thing"}),
    ("size", "l"),
]
BAD = [
    ("count", "three", "integer"),
    ("count", "--5", "integer"),
    ("count", "²", "integer"),
    ("count", "", "integer"),
    ("count", 2.5, "integer"),
    ("count", True, "integer"),
    ("count", None, "integer"),
    ("count", [1], "integer"),
    ("ratio", "fast", "float"),
    ("ratio", True, "float"),
    ("ratio", None, "float"),
    ("enabled", "yes", "boolean"),
    ("enabled", 1, "boolean"),
    ("enabled", None, "boolean"),
    ("name", 5, "string"),
    ("name", True, "string"),
    ("name", ["x"], "string"),
    ("name", None, "string"),
    ("tables", "a", "list of strings"),
    ("tables", ["a", 1], "list of strings"),
    ("tables", [None], "list of strings"),
    ("ports", ["x"], "list of integers"),
    ("ratios", ["fast"], "list of floats"),
    ("ratios", [1.5, True], "list of floats"),
    ("flags", ["yes"], "list of booleans"),
    ("flags", [True, 1], "list of booleans"),
    ("anything", {"a": 1}, "list"),
    ("anything", "a,b", "list"),
]


@pytest.mark.parametrize(("name", "value"), GOOD, ids=[f"{n}={v!r}" for n, v in GOOD])
def test_validate_accepts_values_of_the_declared_type(name: str, value: Any) -> None:
    values = {**BASE, name: value}
    assert validate(TYPED, values) == values


# ASCII ids (`'\xb2'`, not `'²'`): pytest escapes a non-ASCII id, and the escaped id
# given back on a command line (as the mutation run does) matched no test.
@pytest.mark.parametrize(
    ("name", "value", "kind"), BAD, ids=[f"{n}={v!a}".replace("\\", "/") for n, v, _ in BAD]
)
def test_validate_reports_type_mismatches(name: str, value: Any, kind: str) -> None:
    assert problems_of(TYPED, {**BASE, name: value}) == (
        f'Parameter "{name}" must be of type {kind}',
    )


def test_validate_reports_unknown_parameters_unless_allowed() -> None:
    values = {**BASE, "zzz": 1, "yyy": 2}
    assert problems_of(TYPED, values) == (
        'Workflow "typed" does not have the following parameters declared: zzz, yyy. '
        "Remove them or allow custom parameters.",
    )
    assert validate(TYPED, values, allow_custom=True) == values


def test_validate_reports_missing_mandatory_parameters() -> None:
    missing = ('Workflow "typed" must be provided with the following parameters: required_one',)
    assert problems_of(TYPED, {}) == missing
    # Given as null is given; the manager then refuses it as no string.
    assert problems_of(TYPED, {"required_one": None}) == (
        'Parameter "required_one" must be of type string',
    )
    assert validate(TYPED, {"required_one": ""}) == {"required_one": ""}


def test_validate_checks_valid_values() -> None:
    assert problems_of(TYPED, {**BASE, "size": "xl"}) == (
        'Parameter "size" must be one of: s, m, l',
    )


def test_validate_reports_every_problem_at_once() -> None:
    problems = problems_of(TYPED, {"count": "x", "enabled": "maybe", "size": "xl", "zzz": 1})
    assert len(problems) == 5
    assert problems[0].startswith('Workflow "typed" does not have the following')
    assert problems[-1].startswith('Workflow "typed" must be provided')
    assert str(ParameterProblems(problems)) == "\n".join(problems)


# -- values the manager evaluates first (intrinsic functions) -------------------------------

SECRET = {"get_secret": "backup_destination"}
EVALUATED = [
    ("name", SECRET),
    ("count", SECRET),
    ("ratio", SECRET),
    ("enabled", SECRET),
    ("tables", SECRET),
    ("ports", SECRET),
    ("options", SECRET),
    ("size", SECRET),  # constraints are checked on what the function returns
    ("required_one", {"get_input": "owner"}),
    ("name", {"concat": ["s3://", SECRET, "/db"]}),
    ("count", {"string_find": [{"get_secret": "limits"}, "5"]}),
    ("enabled", {"get_label": ["backup", 0]}),
    ("name", {"get_capability": ["storage", "url"]}),
    ("name", {"get_environment_capability": "bucket"}),
    ("name", {"get_sys": ["deployment", "owner"]}),
    ("name", {"get_attribute": ["db", "ip"]}),
    ("name", {"string_replace": ["a-b", "-", "_"]}),
    ("options", {"merge": [{"a": 1}, SECRET]}),
    ("name", {"get_secret": "x", "type": "string"}),  # `get_function` allows a `type` key
    ("tables", [SECRET, "users"]),
    ("ports", [SECRET, 2]),
]


@pytest.mark.parametrize(
    ("name", "value"), EVALUATED, ids=[f"{n}={json.dumps(v)}" for n, v in EVALUATED]
)
def test_validate_passes_what_the_manager_evaluates_first(name: str, value: Any) -> None:
    """`evaluate_workflow_parameters` runs before `_convert_param_type`: a function call
    is checked by the manager against what it returns, whatever the declared type."""
    values = {**BASE, name: value}
    assert validate(TYPED, values) == values


def test_a_secret_in_a_string_default_can_be_started() -> None:
    workflow = Workflow(
        "backup",
        (
            ParameterSpec("destination", type="string", default=SECRET),
            ParameterSpec("retries", type="integer", default={"get_secret": "retries"}),
            ParameterSpec("compress", type="boolean", default={"get_secret": "compress"}),
        ),
    )
    values = parse_document(defaults_document(workflow))
    assert values["destination"] == SECRET
    assert validate(workflow, values) == values


NOT_CALLS = [
    ("count", {"get_secrett": "x"}, "integer"),
    ("count", {"Get_Secret": "x"}, "integer"),
    ("count", {"type": "integer"}, "integer"),
    ("name", {"get_secret": "x", "concat": ["a"], "type": "string"}, "string"),
    ("name", {"get_secret": "x", "default": "y"}, "string"),
    ("name", [SECRET], "string"),  # a list of one call is still a list
    ("enabled", {}, "boolean"),
    ("ports", [SECRET, "x"], "list of integers"),
    ("tables", [{"secret": "x"}], "list of strings"),
]


@pytest.mark.parametrize(
    ("name", "value", "kind"), NOT_CALLS, ids=[f"{n}={json.dumps(v)}" for n, v, _ in NOT_CALLS]
)
def test_validate_refuses_what_is_no_function_call(name: str, value: Any, kind: str) -> None:
    """Only a mapping of one registered function name (and optionally `type`) is a call
    (`dsl_parser.utils.get_function`); anything else is checked as it stands."""
    assert problems_of(TYPED, {**BASE, name: value}) == (
        f'Parameter "{name}" must be of type {kind}',
    )


def test_intrinsic_function_names_what_dsl_parser_calls() -> None:
    for name in (
        "get_secret",
        "get_input",
        "get_capability",
        "get_sys",
        "get_label",
        "get_environment_capability",
        "get_attribute",
        "get_property",
        "concat",
        "merge",
        "string_find",
        "string_replace",
    ):
        assert intrinsic_function({name: "x"}) == name
        assert intrinsic_function({name: "x", "type": "string"}) == name
    for value in ({}, {"type": "x"}, {"get_secret": 1, "x": 2}, "get_secret", [SECRET], None):
        assert intrinsic_function(value) is None


def test_explicit_null_is_given_for_a_mandatory_parameter() -> None:
    workflow = Workflow(
        "w",
        (
            ParameterSpec("anything"),
            ParameterSpec("options", type="dict"),
            ParameterSpec("forced", required=True),
        ),
    )
    assert all(spec.mandatory for spec in workflow.parameters)
    values = {"anything": None, "options": None, "forced": None}
    assert validate(workflow, values) == values
    # What the form opens with for a mandatory parameter without a default.
    assert validate(workflow, parse_document(defaults_document(workflow))) == values
    assert problems_of(workflow, {"anything": None}) == (
        'Workflow "w" must be provided with the following parameters: options, forced',
    )


def test_constraints_are_checked_on_the_converted_value() -> None:
    """The manager converts first (`"2"` is 2) and checks a typed list item by item."""
    workflow = Workflow(
        "w",
        (
            ParameterSpec("level", type="integer", constraints=({"valid_values": [1, 2, 3]},)),
            ParameterSpec("on", type="boolean", constraints=({"valid_values": [True]},)),
            ParameterSpec(
                "sizes",
                type="list",
                item_type="string",
                constraints=({"valid_values": ["s", "m", "l"]},),
            ),
        ),
    )
    good = {"level": "2", "on": "TRUE", "sizes": ["s", "l", SECRET]}
    assert validate(workflow, good) == good
    assert problems_of(workflow, {"level": "4", "on": "false", "sizes": ["s", "xl"]}) == (
        'Parameter "level" must be one of: 1, 2, 3',
        'Parameter "on" must be one of: True',
        'Parameter "sizes" must be one of: s, m, l',
    )


def test_constraints_on_typed_list_items_and_floats() -> None:
    """Each item of a typed list is converted and checked on its own, a float is
    compared as a float, and a constraint the client cannot read does not hide the
    ones after it."""
    workflow = Workflow(
        "w",
        (
            ParameterSpec(
                "sizes",
                type="list",
                item_type="string",
                constraints=({"valid_values": ["s", "m", "l"]},),
            ),
            ParameterSpec(
                "ports",
                type="list",
                item_type="integer",
                constraints=({"valid_values": [1, 2, 3]},),
            ),
            ParameterSpec("ratio", type="float", constraints=({"valid_values": [0.5, 1.5]},)),
            ParameterSpec(
                "size", type="string", constraints=("junk", ["s"], {"valid_values": ["s"]})
            ),
        ),
    )
    good = {"sizes": ["s", "l"], "ports": ["2", 3, 1.0], "ratio": "1.5", "size": "s"}
    assert validate(workflow, good) == good
    empty = {"sizes": [], "ports": [], "ratio": 0.5, "size": "s"}
    assert validate(workflow, empty) == empty
    assert problems_of(
        workflow, {"sizes": ["s", "xl"], "ports": ["2", "4"], "ratio": "2", "size": "x"}
    ) == (
        'Parameter "sizes" must be one of: s, m, l',
        'Parameter "ports" must be one of: 1, 2, 3',
        'Parameter "ratio" must be one of: 0.5, 1.5',
        'Parameter "size" must be one of: s',
    )


def test_a_call_may_name_its_type_before_the_function() -> None:
    """`get_function` skips the `type` key wherever it stands in the mapping."""
    call = {"type": "integer", "get_secret": "retries"}
    assert intrinsic_function(call) == "get_secret"
    assert intrinsic_function({"type": "integer", "get_secrett": "x"}) is None
    assert validate(TYPED, {**BASE, "count": call}) == {**BASE, "count": call}
    assert evaluated_by_manager(TYPED, {"count": call}) == {"count": ("get_secret",)}


def test_evaluated_by_manager_names_the_parameters_and_their_functions() -> None:
    workflow = Workflow(
        "w",
        (
            ParameterSpec("destination", type="string", default=SECRET),
            ParameterSpec("plain", type="string", default="x"),
            ParameterSpec("path", type="string"),
            ParameterSpec("pair", type="list", default=[{"get_input": "a"}, {"merge": [SECRET]}]),
        ),
    )
    # Defaults left out are filled in (and evaluated) by the manager.
    assert evaluated_by_manager(workflow, {}) == {
        "destination": ("get_secret",),
        "pair": ("get_input", "merge", "get_secret"),
    }
    values = {
        "destination": "s3://fixed",
        "plain": {"get_secrett": "x"},
        "path": {"concat": [SECRET, "/", {"get_sys": ["deployment", "id"]}, SECRET]},
        "custom": {"nested": [{"get_label": "env"}]},
        "literal": "{get_secret: x}",
    }
    assert evaluated_by_manager(workflow, values) == {
        "path": ("concat", "get_secret", "get_sys"),
        "pair": ("get_input", "merge", "get_secret"),
        "custom": ("get_label",),
    }
    assert evaluated_by_manager(Workflow("w"), {"a": 1, "b": [None, {}]}) == {}


def test_evaluated_notes_in_the_start_form() -> None:
    workflow = Workflow("backup", (ParameterSpec("backup_destination", type="string"),))
    assert evaluated_notes(workflow, {"backup_destination": "x"}).plain == ""
    notes = evaluated_notes(workflow, {"backup_destination": SECRET})
    assert notes.plain == "backup_destination: evaluated by the manager (get_secret)\n"
    assert all(span.style == "dim" for span in notes.spans)
    odd = evaluated_notes(Workflow("w"), {"\x1b[31mred\nx[@click=app.quit]": SECRET})
    assert "\x1b" not in odd.plain and odd.plain.count("\n") == 1
    many = evaluated_notes(Workflow("w"), {f"p{i}": SECRET for i in range(6)})
    assert many.plain.splitlines()[-1] == "and 2 more evaluated by the manager"
    assert len(many.plain.splitlines()) == 5


AGREEMENT = [
    ("web-prod", "rolling_restart", {}, False),
    ("web-prod", "rolling_restart", {"batch_size": "3"}, False),
    ("web-prod", "rolling_restart", {"batch_size": "abc"}, False),
    ("web-prod", "rolling_restart", {"batch_size": "--5"}, False),
    ("web-prod", "rolling_restart", {"zzz": 1}, False),
    ("web-prod", "rolling_restart", {"zzz": 1}, True),
    ("web-prod", "rotate_certificates", {}, False),
    ("web-prod", "rotate_certificates", {"common_name": "shop.example.com"}, False),
    ("web-prod", "rotate_certificates", {"common_name": 5}, False),
    ("analytics", "reindex", {"full": "TRUE", "priority": "high"}, False),
    ("analytics", "reindex", {"full": "yes"}, False),
    ("analytics", "reindex", {"priority": "urgent"}, False),
    ("analytics", "reindex", {"shards": ["a", 1]}, False),
    ("db-main", "backup", {"tables": ["users"], "compress": "false"}, False),
    ("db-main", "backup", {"tables": ["users", 1]}, False),
    ("db-main", "backup", {"destination": None}, False),
]


@pytest.mark.parametrize(
    ("dep_id", "workflow_id", "values", "allow_custom"),
    AGREEMENT,
    ids=[f"{w}-{json.dumps(v)}-{c}" for _, w, v, c in AGREEMENT],
)
async def test_validate_agrees_with_the_manager(
    module_manager: ManagerProcess,
    workflows: dict[tuple[str, str], Workflow],
    dep_id: str,
    workflow_id: str,
    values: dict[str, Any],
    allow_custom: bool,
) -> None:
    workflow = workflows[(dep_id, workflow_id)]
    try:
        validate(workflow, values, allow_custom=allow_custom)
        client_problem = None
    except ParameterProblems as exc:
        client_problem = exc
    async with ManagerClient(
        module_manager.url, username="admin", password=PASSWORDS["admin"]
    ) as client:
        try:
            started = await client.start_execution(
                dep_id,
                workflow_id,
                values,
                dry_run=True,
                force=True,
                allow_custom_parameters=allow_custom,
            )
            manager_problem = None
        except BadParameters as exc:
            manager_problem = exc
            started = None
    if manager_problem is None:
        assert client_problem is None, client_problem
        assert started is not None and started.is_dry_run
    else:
        assert manager_problem.error_code == "illegal_execution_parameters_error"
        assert client_problem is not None, manager_problem.message
        # Every parameter the manager names, the client names too.
        candidates = set(values) | {s.name for s in workflow.parameters}
        named = {n for n in candidates if re.search(rf"\b{n}\b", manager_problem.message)}
        assert named, manager_problem.message
        for name in named:
            assert any(name in p for p in client_problem.problems), (
                manager_problem.message,
                client_problem.problems,
            )


# The client refuses a string for a list; the manager, like the real one, splits it into
# its characters and stores that. The client is stricter there on purpose (tui/api/params.py).
CLIENT_STRICTER = [
    ("analytics", "reindex", {"shards": "ab"}, {"shards": ["a", "b"]}),
    ("db-main", "backup", {"tables": "users"}, {"tables": ["u", "s", "e", "r", "s"]}),
]


@pytest.mark.parametrize(
    ("dep_id", "workflow_id", "values", "stored"),
    CLIENT_STRICTER,
    ids=[f"{w}-{json.dumps(v)}" for _, w, v, _ in CLIENT_STRICTER],
)
async def test_validate_is_stricter_where_the_manager_changes_the_value(
    module_manager: ManagerProcess,
    workflows: dict[tuple[str, str], Workflow],
    dep_id: str,
    workflow_id: str,
    values: dict[str, Any],
    stored: dict[str, Any],
) -> None:
    with pytest.raises(ParameterProblems):
        validate(workflows[(dep_id, workflow_id)], values)
    async with ManagerClient(
        module_manager.url, username="admin", password=PASSWORDS["admin"]
    ) as client:
        started = await client.start_execution(
            dep_id, workflow_id, values, dry_run=True, force=True
        )
    assert {name: started.parameters[name] for name in stored} == stored


# -- what changed, and the equivalent command ---------------------------------------------


def test_changed_parameters_keeps_only_differences(
    workflows: dict[tuple[str, str], Workflow],
) -> None:
    restart = workflows[("web-prod", "rolling_restart")]
    assert changed_parameters(restart, {"batch_size": 1, "drain_timeout": 30}) == {}
    assert changed_parameters(restart, {"batch_size": 1, "drain_timeout": 45}) == {
        "drain_timeout": 45
    }
    assert changed_parameters(restart, {"batch_size": 1, "custom": 1}) == {"custom": 1}
    certs = workflows[("web-prod", "rotate_certificates")]
    assert changed_parameters(certs, {"common_name": "x", "validity_days": 90}) == {
        "common_name": "x"
    }
    reindex = workflows[("analytics", "reindex")]
    assert changed_parameters(reindex, parse_document(defaults_document(reindex))) == {}
    assert changed_parameters(reindex, {"shards": ["a"], "full": False}) == {"shards": ["a"]}


def test_equivalent_command_plain_and_with_flags() -> None:
    assert equivalent_command("web-prod", "install", {}) == (
        "cfy executions start install -d web-prod"
    )
    assert equivalent_command(
        "web-prod",
        "rolling_restart",
        {"drain_timeout": 45, "batch_size": 2},
        force=True,
        dry_run=True,
        allow_custom=True,
        tenant="team-eu",
    ) == (
        "cfy executions start rolling_restart -d web-prod "
        """-p '{"batch_size":2,"drain_timeout":45}' """
        "--allow-custom-parameters --force --dry-run -t team-eu"
    )
    assert equivalent_command("db-main", "backup", {}, queue=True).endswith(" --queue")


ODD_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=20,
)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(ODD_TEXT, VALUES, max_size=4),
    ODD_TEXT.filter(bool),
    ODD_TEXT.filter(bool),
    st.one_of(st.none(), ODD_TEXT.filter(bool)),
)
def test_equivalent_command_quotes_odd_values(
    parameters: dict[str, Any], deployment: str, workflow: str, tenant: str | None
) -> None:
    command = equivalent_command(deployment, workflow, parameters, tenant=tenant)
    argv = shlex.split(command)
    assert argv[:4] == ["cfy", "executions", "start", workflow]
    assert argv[4:6] == ["-d", deployment]
    rest = argv[6:]
    if parameters:
        assert rest[0] == "-p"
        assert json.loads(rest[1]) == parameters
        rest = rest[2:]
    assert rest == (["-t", tenant] if tenant else [])


def test_equivalent_command_never_carries_credentials() -> None:
    command = equivalent_command(
        "web-prod",
        "rolling_restart",
        {"batch_size": 2},
        force=True,
        dry_run=True,
        queue=True,
        allow_custom=True,
        tenant="team-eu",
    )
    options = {a for a in shlex.split(command) if a.startswith("-")}
    assert options == {
        "-d",
        "-p",
        "-t",
        "--force",
        "--dry-run",
        "--queue",
        "--allow-custom-parameters",
    }
    for secret in PASSWORDS.values():
        assert secret not in command
    for word in ("password", "token", "-u", "--manager", "Authorization"):
        assert word not in command.split()


@pytest.mark.slow
def test_equivalent_command_runs_in_the_real_cli(manager: ManagerProcess, tmp_path: Path) -> None:
    """The command, pasted into a shell with a `cfy` profile, starts the same execution."""
    try:
        executable = ensure_cfy_cli()
    except CliInstallError as exc:
        pytest.fail(f"could not install the cfy CLI:\n{exc}", pytrace=False)
    cfy = Cfy(executable, tmp_path / "cfy-home")
    profile = cfy(
        "profiles",
        "use",
        "127.0.0.1",
        "-u",
        "admin",
        "-p",
        PASSWORDS["admin"],
        "-t",
        "default_tenant",
        "--rest-port",
        str(manager.port),
    )
    assert profile.returncode == 0, str(profile)
    parameters = {
        "batch_size": 3,
        "note": 'it\'s $HOME `echo x` "quoted" ünïcödé; a=b, c',
        "tags": ["a b", "*.yaml"],
    }
    command = equivalent_command(
        "web-eu", "rolling_restart", parameters, dry_run=True, allow_custom=True, tenant="team-eu"
    )
    env = dict(cfy.env, PATH=f"{executable.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    proc = subprocess.run(
        ["sh", "-c", command],
        env=env,
        cwd=cfy.workdir,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, f"$ {command}\n{proc.stdout}\n{proc.stderr}"
    with admin_client(manager, tenant="team-eu") as http:
        items = http.get(
            "/executions",
            params={"deployment_id": "web-eu", "workflow_id": "rolling_restart"},
        ).json()["items"]
    assert len(items) == 1
    assert items[0]["is_dry_run"] is True
    assert items[0]["parameters"] == {**parameters, "drain_timeout": 30}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("n: !!int x\n", "YAML syntax error at line 1, column 4: 'x' cannot be read as !!int"),
        ("f: !!float x\n", "YAML syntax error at line 1, column 4: 'x' cannot be read as !!float"),
        ("b: !!bool x\n", "YAML syntax error at line 1, column 4: 'x' cannot be read as !!bool"),
        (
            "t: !!timestamp x\n",
            "YAML syntax error at line 1, column 4: 'x' cannot be read as !!timestamp",
        ),
        (
            "a:\n  b: [1, !!int y]\n",
            "YAML syntax error at line 2, column 10: 'y' cannot be read as !!int",
        ),
        ("[" * 500 + "]" * 500, "YAML nested too deeply to read"),
    ],
    ids=["int", "float", "bool", "timestamp", "nested", "deep"],
)
def test_a_value_its_tag_cannot_read_is_a_problem_at_its_line(text: str, problem: str) -> None:
    """PyYAML's constructors raise ValueError, KeyError or AttributeError for a value its
    explicit tag cannot read, and the parser a RecursionError for deep nesting: typed
    in the start form, each crashed the app. Each is a problem the form shows."""
    with pytest.raises(ParameterProblems) as caught:
        parse_document(text)
    assert caught.value.problems == (problem,)
    assert parse_document("n: !!int 5\n") == {"n": 5}
