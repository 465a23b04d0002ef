"""Intrinsic functions in execution parameters, through the official Python client:
the embedded manager evaluates them before its type check, as the real 7.0.4 does.

The expectations were probed on the real manager with the same blueprint (the
`probe` workflow below) and the same secrets: stored parameters, statuses, error
codes and messages alike (a differential run of 111 starts).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cloudify_rest_client import CloudifyClient
from cloudify_rest_client.exceptions import (
    CloudifyClientError,
    FunctionsEvaluationError,
    IllegalExecutionParametersError,
)

from tests.manager.test_client_conformance import client, raises
from tests.manager_process import ManagerProcess
from tests.polling import wait_for

BLUEPRINT = """\
tosca_definitions_version: cloudify_dsl_1_4
imports:
  - cloudify/types/types.yaml
inputs:
  greeting: {type: string, default: hello}
  conf: {type: dict, default: {a: 1, b: [x, y]}}
node_templates:
  vm:
    type: cloudify.nodes.Root
workflows:
  probe:
    mapping: demo.demo.workflows.probe
    parameters:
      s: {type: string, default: plain}
      i: {type: integer, default: 1}
      b: {type: boolean, default: false}
      d: {type: dict, default: {}}
      l: {type: list, default: []}
      li: {type: list, item_type: integer, default: []}
      n: {default: none}
      sd: {type: string, default: {get_secret: probe-default}}
"""
DEPLOYMENT = "fn-dep"


@pytest.fixture(scope="module")
def fn_manager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManagerProcess]:
    """A manager that knows the probe blueprint, with one deployment of it and the
    secrets the tests read."""
    blueprints = tmp_path_factory.mktemp("blueprints")
    (blueprints / "probe.yaml").write_text(BLUEPRINT)
    data = tmp_path_factory.mktemp("manager")
    proc = ManagerProcess(data=data, extra_args=["--blueprints", str(blueprints)]).start()
    try:
        admin = client(proc)
        admin.deployments.create("probe", DEPLOYMENT, inputs={"greeting": "hi there"})
        for key, value in {
            "probe-default": "from-default",
            "text": "secret-text",
            "number": "42",
            "doc": '{"k": [10, 20], "m": "v"}',
        }.items():
            admin.secrets.create(key, value)
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def admin(fn_manager: ManagerProcess) -> CloudifyClient:
    return client(fn_manager)


def start(c: CloudifyClient, **parameters: Any) -> dict[str, Any]:
    """Start `probe` (forced: the tests start many) and return the stored parameters."""
    execution = c.executions.start(DEPLOYMENT, "probe", parameters, force=True)
    stored = c.executions.get(execution.id).parameters
    assert stored == execution.parameters
    return stored


def execution_count(c: CloudifyClient) -> int:
    return len(c.executions.list(deployment_id=DEPLOYMENT, _get_all_results=True))


def test_get_secret_is_evaluated_before_the_type_check(admin: CloudifyClient) -> None:
    stored = start(admin, s={"get_secret": "text"}, i={"get_secret": "number"})
    # the stored parameters hold the values, never the calls; the integer is converted
    assert stored == {
        "s": "secret-text",
        "i": 42,
        "b": False,
        "d": {},
        "l": [],
        "li": [],
        "n": "none",
        "sd": "from-default",  # a declared default calls a function too
    }


def test_the_type_check_sees_what_the_function_returns(admin: CloudifyClient) -> None:
    raises(
        lambda: start(admin, i={"get_secret": "text"}),
        IllegalExecutionParametersError,
        400,
        "illegal_execution_parameters_error",
        'Parameter "i" must be of type integer',
    )
    raises(
        lambda: start(admin, b={"get_secret": "text"}),
        IllegalExecutionParametersError,
        400,
        "illegal_execution_parameters_error",
        'Parameter "b" must be of type boolean',
    )


def test_missing_secret_refuses_the_start_and_stores_nothing(admin: CloudifyClient) -> None:
    before = execution_count(admin)
    err = raises(
        lambda: start(admin, s={"get_secret": "absent"}, i="abc"),
        CloudifyClientError,
        404,
        "not_found_error",
    )
    # evaluated before the type check: the bad integer is not what is reported
    assert err._message == "Requested `Secret` with ID `absent` was not found"
    assert execution_count(admin) == before
    # unknown parameters are refused before anything is evaluated
    raises(
        lambda: start(admin, zzz={"get_secret": "absent"}),
        IllegalExecutionParametersError,
        400,
        "illegal_execution_parameters_error",
        'Workflow "probe" does not have the following parameters declared: zzz.',
    )


def test_nested_and_composed_calls(admin: CloudifyClient) -> None:
    stored = start(
        admin,
        s={"concat": ["v-", {"get_secret": "text"}, "-", 5]},
        i={"get_secret": ["doc", "k", 1]},
        d={"x": {"get_secret": "text"}, "y": [{"get_secret": "number"}]},
        l=[{"get_input": "greeting"}, {"get_sys": ["deployment", "id"]}],
        li=[{"get_secret": "number"}, "3"],
        n={"merge": [{"a": 1}, {"b": {"string_upper": {"get_secret": ["doc", "m"]}}}]},
    )
    assert stored["s"] == "v-secret-text-5"
    assert stored["i"] == 20
    assert stored["d"] == {"x": "secret-text", "y": ["42"]}
    assert stored["l"] == ["hi there", DEPLOYMENT]
    assert stored["li"] == [42, 3]
    assert stored["n"] == {"a": 1, "b": "V"}
    # a dict that is not exactly one call (plus an optional `type`) is plain data
    plain = start(admin, n={"get_secret": "text", "other": 1})
    assert plain["n"] == {"get_secret": "text", "other": 1}


def test_function_errors_keep_the_real_codes(admin: CloudifyClient) -> None:
    err = raises(
        lambda: start(admin, s={"get_secret": ["text", "m"]}),
        FunctionsEvaluationError,
        400,
        "functions_evaluation_error",
    )
    assert err._message == (
        'Unable to evaluate Could not parse secret "text" as json. Error was: Expecting '
        "value: line 1 column 1 (char 0) function"
    )
    err = raises(
        lambda: start(admin, s={"get_sys": ["nope", "x"]}),
        FunctionsEvaluationError,
        400,
        "functions_evaluation_error",
    )
    assert err._message == "Cannot retrieve this entity-property pair: nope-x"
    # The real manager crashes on an unknown input (a KeyError): a 500.
    with pytest.raises(CloudifyClientError) as crash:
        start(admin, s={"get_input": "nope"})
    assert crash.value.status_code == 500
    assert crash.value.error_code == "internal_server_error"
    assert crash.value.server_traceback.strip().endswith("KeyError: 'nope'")
    # Functions that read node instances or capabilities are not evaluated here.
    raises(
        lambda: start(admin, s={"get_attribute": ["vm", "ip"]}),
        CloudifyClientError,
        400,
        "bad_parameters_error",
        "The intrinsic function `get_attribute` (payload.s) is not evaluated by this manager",
    )


def test_dict_and_list_parameters_convert_like_the_real_one(admin: CloudifyClient) -> None:
    # `dict` is not type-checked at all
    assert start(admin, d="not-a-dict")["d"] == "not-a-dict"
    assert start(admin, d=5)["d"] == 5
    # a string given for a list is the list of its characters, each item converted
    assert start(admin, l="abc")["l"] == ["a", "b", "c"]
    assert start(admin, li="123")["li"] == [1, 2, 3]
    assert start(admin, l={"get_secret": "number"})["l"] == ["4", "2"]
    raises(
        lambda: start(admin, li="12a"),
        IllegalExecutionParametersError,
        400,
        "illegal_execution_parameters_error",
        'Parameter "li" must be of type list of integers',
    )
    with pytest.raises(CloudifyClientError) as crash:
        start(admin, l=5)
    assert crash.value.status_code == 500
    assert crash.value.server_traceback.strip().endswith("TypeError: 'int' object is not iterable")


def test_secrets_are_read_as_the_execution_creator(
    fn_manager: ManagerProcess, admin: CloudifyClient
) -> None:
    operator = client(fn_manager, "operator")
    admin.secrets.create("admin-private", "x", visibility="private")
    admin.secrets.create("admin-hidden", "hidden-but-usable", is_hidden_value=True)
    raises(
        lambda: start(operator, s={"get_secret": "admin-private"}),
        CloudifyClientError,
        404,
        "not_found_error",
        "Requested `Secret` with ID `admin-private` was not found",
    )
    assert operator.secrets.get("admin-hidden").value == ""
    assert start(operator, s={"get_secret": "admin-hidden"})["s"] == "hidden-but-usable"
    eu = client(fn_manager, tenant="team-eu")
    eu.secrets.create("eu-only", "x")
    raises(
        lambda: start(admin, s={"get_secret": "eu-only"}),
        CloudifyClientError,
        404,
        "not_found_error",
    )


def test_secret_values_stay_out_of_the_execution_log(admin: CloudifyClient) -> None:
    execution = admin.executions.start(
        DEPLOYMENT, "probe", {"s": {"get_secret": "text"}, "i": 7}, force=True
    )

    def logged() -> list[str]:
        events = admin.events.list(execution_id=execution.id, include_logs=True)
        return [e["message"] for e in events if "Workflow parameters" in (e["message"] or "")]

    (line,) = wait_for(logged, what="the parameters log line")
    assert '"s": "********"' in line and '"i": 7' in line
    assert '"sd": "********"' in line  # its default reads a secret too
    assert "secret-text" not in line and "from-default" not in line
