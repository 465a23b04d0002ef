"""Secrets on the embedded manager, through the official Python client (and plain
HTTP where the client cannot send what a test needs).

Every status, error code and message below was probed on a real Cloudify 7.0.4
manager; the role rules (viewer, operator, private and hidden secrets, global ones
seen from another tenant) come from its source, as a community manager has a single
user and tenant to probe with.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cloudify_rest_client import CloudifyClient
from cloudify_rest_client.exceptions import (
    CloudifyClientError,
    ForbiddenError,
    NoSuchIncludeFieldError,
)

from tests.conftest import admin_client
from tests.manager.test_client_conformance import client, raises
from tests.manager_process import ManagerProcess

FULL_KEYS = {
    "created_at",
    "visibility",
    "value",
    "updated_at",
    "is_hidden_value",
    "schema",
    "provider_options",
    "key",
    "provider_name",
    "tenant_name",
    "created_by",
    "resource_availability",
    "private_resource",
}
LIST_KEYS = [
    "key",
    "created_at",
    "updated_at",
    "resource_availability",
    "visibility",
    "tenant_name",
    "created_by",
    "is_hidden_value",
    "provider_name",
]
# Filter and sort keys, in the order the real manager lists them.
FIELD_KEYS = [
    "created_at",
    "visibility",
    "value",
    "updated_at",
    "is_hidden_value",
    "schema",
    "provider_options",
    "key",
    "provider_name",
    "tenant_name",
    "created_by",
    "resource_availability",
    "private_resource",
]


@pytest.fixture(scope="module")
def admin(module_manager: ManagerProcess) -> CloudifyClient:
    return client(module_manager)


@pytest.fixture(scope="module")
def operator(module_manager: ManagerProcess) -> CloudifyClient:
    return client(module_manager, "operator")


@pytest.fixture(scope="module")
def viewer(module_manager: ManagerProcess) -> CloudifyClient:
    return client(module_manager, "viewer")


@pytest.fixture(scope="module")
def http(module_manager: ManagerProcess) -> Iterator[httpx.Client]:
    with admin_client(module_manager) as c:
        yield c


def not_found(key: str) -> str:
    return f"Requested `Secret` with ID `{key}` was not found"


def assert_opaque_token(token: str, value: str) -> None:
    """Where the real manager answers ciphertext (a Fernet token), this one answers a
    token of the same shape that carries nothing of the value."""
    raw = base64.urlsafe_b64decode(token)
    assert raw[0] == 0x80
    assert len(raw) == 1 + 8 + 16 + (len(value.encode()) // 16 + 1) * 16 + 32
    assert value not in token


# -- create, read, list, update, delete -----------------------------------------------------


def test_round_trip_with_the_real_keys(admin: CloudifyClient) -> None:
    created = admin.secrets.create("rt-key", "s3cr3t-value")
    assert set(created) == FULL_KEYS
    assert_opaque_token(created.value, "s3cr3t-value")
    assert created.key == "rt-key"
    assert created.visibility == created["resource_availability"] == "tenant"
    assert created.is_hidden_value is False and created["private_resource"] is False
    assert created.tenant_name == "default_tenant" and created["created_by"] == "admin"
    assert created.schema is None and created.provider_options is None
    assert created.provider_name is None
    assert created.created_at == created.updated_at

    got = admin.secrets.get("rt-key")
    assert set(got) == FULL_KEYS
    assert got.value == "s3cr3t-value"

    listed = [s for s in admin.secrets.list() if s.key == "rt-key"]
    assert len(listed) == 1 and list(listed[0]) == LIST_KEYS
    assert "value" not in listed[0]

    updated = admin.secrets.update("rt-key", "new-value")
    assert_opaque_token(updated.value, "new-value")
    assert updated.created_at == created.created_at
    assert updated.updated_at >= created.updated_at
    assert admin.secrets.get("rt-key").value == "new-value"

    assert admin.secrets.delete("rt-key") is None
    raises(lambda: admin.secrets.get("rt-key"), CloudifyClientError, 404, "not_found_error")


def test_missing_secret_is_404_everywhere(admin: CloudifyClient) -> None:
    for call in (
        lambda: admin.secrets.get("no-such-secret"),
        lambda: admin.secrets.update("no-such-secret", "x"),
        lambda: admin.secrets.delete("no-such-secret"),
        lambda: admin.secrets.set_visibility("no-such-secret", "global"),
    ):
        err = raises(call, CloudifyClientError, 404, "not_found_error")
        assert err._message == not_found("no-such-secret")


def test_existing_key_is_409_unless_update_if_exists(admin: CloudifyClient) -> None:
    admin.secrets.create("dup-key", "first")
    err = raises(
        lambda: admin.secrets.create("dup-key", "second"),
        CloudifyClientError,
        409,
        "conflict_error",
    )
    assert err._message == (
        "<Secret id=`dup-key` tenant=`default_tenant`> already exists on "
        "<Tenant name=`default_tenant`> or with global visibility"
    )
    assert admin.secrets.get("dup-key").value == "first"

    # `update_if_exists` replaces the value only: visibility and hiding stay as they were.
    replaced = admin.secrets.create(
        "dup-key", "second", update_if_exists=True, is_hidden_value=True, visibility="private"
    )
    assert replaced.visibility == "tenant" and replaced.is_hidden_value is False
    assert admin.secrets.get("dup-key").value == "second"


def test_update_checks_each_field(admin: CloudifyClient, http: httpx.Client) -> None:
    admin.secrets.create("upd-key", "v1")
    hidden = admin.secrets.update("upd-key", is_hidden_value=True)
    assert hidden.is_hidden_value is True
    # an empty value is ignored, other fields still apply
    assert http.patch("/secrets/upd-key", json={"value": ""}).status_code == 200
    assert admin.secrets.get("upd-key").value == "v1"
    err = raises(
        lambda: admin.secrets.update("upd-key", visibility="private"),
        CloudifyClientError,
        400,
        "illegal_action_error",
    )
    assert err._message == (
        "Can't set the visibility of `upd-key` to private because it already has wider visibility"
    )
    bad = http.patch("/secrets/upd-key", json={"visibility": "bogus"})
    assert bad.status_code == 400 and bad.json()["message"] == (
        "Invalid visibility: `bogus`. Valid visibility's values are: "
        "['private', 'tenant', 'global']"
    )
    flag = http.patch("/secrets/upd-key", json={"is_hidden_value": "yes"})
    assert flag.json()["message"] == "is_hidden_value must be <true/false>, got yes"
    nothing = http.patch("/secrets/upd-key", json={})
    assert nothing.status_code == 400
    assert nothing.json() == {
        "message": "Update a secret request must include at least one parameter to update",
        "error_code": "illegal_action_error",
        "server_traceback": None,
    }
    owner = http.patch("/secrets/upd-key", json={"creator": "nobody"})
    assert owner.json()["message"] == "User nobody does not exist."
    assert admin.secrets.update("upd-key", creator="operator")["created_by"] == "operator"


def test_set_visibility_only_widens(admin: CloudifyClient, http: httpx.Client) -> None:
    admin.secrets.create("vis-key", "x", visibility="private")
    assert admin.secrets.set_visibility("vis-key", "tenant")["visibility"] == "tenant"
    private = http.patch("/secrets/vis-key/set-visibility", json={"visibility": "private"})
    assert private.status_code == 400 and private.json()["message"] == (
        "Invalid visibility: `private`. Valid visibility's values are: ['tenant', 'global']"
    )
    assert admin.secrets.set_global("vis-key")["visibility"] == "global"
    narrower = http.patch("/secrets/vis-key/set-visibility", json={"visibility": "tenant"})
    assert narrower.json()["error_code"] == "illegal_action_error"
    admin.secrets.delete("vis-key")


# -- values, schemas and bodies the real manager refuses -----------------------------------


def test_value_rules(admin: CloudifyClient, http: httpx.Client) -> None:
    empty = http.put("/secrets/val-key", json={"value": ""})
    assert empty.status_code == 400
    assert empty.json()["message"] == (
        "Cannot create a secret with empty value or provider:                 val-key"
    )
    missing = http.put("/secrets/val-key", json={})
    assert missing.json()["message"] == "Missing value in json request body"
    # The real manager encrypts `value.encode()`: a number crashes it.
    crash = http.put("/secrets/val-key", json={"value": 5})
    assert crash.status_code == 500
    assert crash.json()["error_code"] == "internal_server_error"
    assert crash.json()["message"].startswith(
        "Internal error occurred in manager REST server - InternalServerError: 500"
    )
    assert (
        crash.json()["server_traceback"]
        .strip()
        .endswith("AttributeError: 'int' object has no attribute 'encode'")
    )
    wrong_type = http.put(
        "/secrets/val-key", content=b'{"value": "x"}', headers={"Content-Type": "text/plain"}
    )
    assert wrong_type.status_code == 415
    provider = http.put("/secrets/val-key", json={"value": "x", "provider_name": "vault"})
    assert provider.status_code == 404
    assert provider.json()["message"] == "Requested `SecretsProvider` with ID `vault` was not found"
    raises(lambda: admin.secrets.get("val-key"), CloudifyClientError, 404, "not_found_error")


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("1abc", "The `key` argument must begin with a letter"),
        (
            "a%20b",
            "The `key` argument contains illegal characters. Only letters, digits and the "
            'characters "-", "." and "_" are allowed',
        ),
        ("a" * 257, "The `key` argument is too long. Maximum allowed length is 256 characters"),
    ],
)
def test_key_is_validated_by_every_method(http: httpx.Client, key: str, message: str) -> None:
    for method, body in (("GET", None), ("PUT", {"value": "x"}), ("PATCH", {"value": "x"}),
                         ("DELETE", None)):  # fmt: skip
        response = http.request(method, f"/secrets/{key}", json=body)
        assert response.status_code == 400, (method, response.text)
        assert response.json()["message"] == message, method


def test_schema_type_is_enforced(admin: CloudifyClient, http: httpx.Client) -> None:
    created = admin.secrets.create("schema-key", {"a": [1, 2]}, schema={"type": "object"})
    assert created.schema == {"type": "object"}
    assert admin.secrets.get("schema-key").value == {"a": [1, 2]}
    err = raises(
        lambda: admin.secrets.create("schema-bad", "text", schema={"type": "object"}),
        CloudifyClientError,
        409,
        "conflict_error",
    )
    assert err._message == (
        "Error validating secret value: 'text' is not of type 'object'\n\n"
        "Failed validating 'type' in schema:\n    {'type': 'object'}\n\n"
        "On instance:\n    'text'"
    )
    invalid = http.put("/secrets/schema-bad", json={"value": 5, "schema": {"type": "nonsense"}})
    assert invalid.status_code == 400
    assert invalid.json()["message"].startswith(
        "Invalid secret JSON schema {'type': 'nonsense'}: 'nonsense' is not valid under any of "
        "the given schemas\n\nFailed validating 'anyOf' in "
        "metaschema['allOf'][3]['properties']['type']:"
    )
    # Keywords this manager cannot enforce are refused, not ignored.
    unsupported = http.put(
        "/secrets/schema-bad", json={"value": 5, "schema": {"type": "integer", "minimum": 10}}
    )
    assert unsupported.status_code == 400
    assert "not supported: minimum" in unsupported.json()["message"]
    raises(lambda: admin.secrets.get("schema-bad"), CloudifyClientError, 404, "not_found_error")


def test_skip_value(admin: CloudifyClient, http: httpx.Client) -> None:
    admin.secrets.create("skip-key", "shown")
    assert http.get("/secrets/skip-key", params={"_skip_value": "true"}).json()["value"] == ""
    bad = http.get("/secrets/skip-key", params={"_skip_value": "maybe"})
    assert bad.json()["message"] == "_skip_value must be <true/false>, got maybe"


# -- who sees and changes what -----------------------------------------------------------


def test_role_permissions(
    module_manager: ManagerProcess,
    admin: CloudifyClient,
    operator: CloudifyClient,
    viewer: CloudifyClient,
) -> None:
    """Real defaults: `viewer` and `operations` may list and get; `user` (the operator
    here), `manager` and `sys_admin` may also create, update and delete."""
    operator.secrets.create("role-key", "by-operator")
    assert viewer.secrets.get("role-key").value == "by-operator"
    assert "role-key" in {s.key for s in viewer.secrets.list()}
    for action, call in (
        ("secret_create", lambda: viewer.secrets.create("role-other", "x")),
        ("secret_update", lambda: viewer.secrets.update("role-key", "x")),
        ("secret_delete", lambda: viewer.secrets.delete("role-key")),
    ):
        raises(
            call,
            ForbiddenError,
            403,
            "forbidden_error",
            f"User `viewer` is not permitted to perform the action {action} in the tenant "
            "`default_tenant`",
        )
    operator.secrets.update("role-key", "changed")
    assert admin.secrets.get("role-key").value == "changed"
    raises(
        lambda: client(module_manager, "operator", "team-eu").secrets.list(),
        ForbiddenError,
        403,
        "forbidden_error",
        "Authorization failed: Tried to authenticate with invalid tenant name: team-eu",
    )
    operator.secrets.delete("role-key")


def test_hidden_values(
    admin: CloudifyClient, operator: CloudifyClient, viewer: CloudifyClient
) -> None:
    operator.secrets.create("hid-op", "operator-only", is_hidden_value=True)
    assert operator.secrets.get("hid-op").value == "operator-only"  # the creator
    assert admin.secrets.get("hid-op").value == "operator-only"  # an administrator
    assert viewer.secrets.get("hid-op").value == ""

    admin.secrets.create("hid-admin", "admin-only", is_hidden_value=True)
    assert operator.secrets.get("hid-admin").value == ""
    for call in (
        lambda: operator.secrets.update("hid-admin", "x"),
        lambda: operator.secrets.delete("hid-admin"),
    ):
        raises(
            call,
            ForbiddenError,
            403,
            "forbidden_error",
            "User `operator` is not permitted to modify the hidden value secret `hid-admin`",
        )
    admin.secrets.create("plain-admin", "x")
    raises(
        lambda: operator.secrets.update("plain-admin", is_hidden_value=True),
        ForbiddenError,
        403,
        "forbidden_error",
        "User `operator` is not permitted to modify the secret `plain-admin` to be hidden value",
    )
    assert admin.secrets.get("hid-admin").value == "admin-only"


def test_private_secrets(
    admin: CloudifyClient, operator: CloudifyClient, viewer: CloudifyClient
) -> None:
    operator.secrets.create("priv-op", "mine", visibility="private")
    assert operator.secrets.get("priv-op").value == "mine"
    assert admin.secrets.get("priv-op").value == "mine"
    raises(lambda: viewer.secrets.get("priv-op"), CloudifyClientError, 404, "not_found_error")
    assert "priv-op" not in {s.key for s in viewer.secrets.list()}
    assert "priv-op" in {s.key for s in admin.secrets.list()}
    # the key is taken all the same
    raises(lambda: admin.secrets.create("priv-op", "x"), CloudifyClientError, 409, "conflict_error")


def test_tenants_and_global_secrets(
    module_manager: ManagerProcess, admin: CloudifyClient, operator: CloudifyClient
) -> None:
    admin_eu = client(module_manager, tenant="team-eu")
    viewer_eu = client(module_manager, "viewer", tenant="team-eu")
    admin.secrets.create("ten-key", "default-side")
    raises(lambda: admin_eu.secrets.get("ten-key"), CloudifyClientError, 404, "not_found_error")
    admin_eu.secrets.create("ten-key", "eu-side")  # one key per tenant
    assert admin.secrets.get("ten-key").value == "default-side"
    assert admin_eu.secrets.get("ten-key").value == "eu-side"
    everywhere = admin.secrets.list(key="ten-key", _all_tenants=True)
    assert sorted(s.tenant_name for s in everywhere) == ["default_tenant", "team-eu"]
    assert [s.tenant_name for s in admin.secrets.list(key="ten-key")] == ["default_tenant"]

    raises(
        lambda: operator.secrets.create("glob-key", "x", visibility="global"),
        ForbiddenError,
        403,
        "forbidden_error",
        "User `operator` is not permitted to set or create a global resource",
    )
    admin.secrets.create("glob-key", "for-all", visibility="global")
    assert viewer_eu.secrets.get("glob-key").value == "for-all"
    assert "glob-key" in {s.key for s in viewer_eu.secrets.list()}
    err = raises(
        lambda: admin_eu.secrets.update("glob-key", "x"),
        CloudifyClientError,
        400,
        "illegal_action_error",
    )
    assert err._message == (
        "Can't modify the global resource `glob-key` from outside its tenant `default_tenant`"
    )
    err = raises(
        lambda: admin_eu.secrets.create("glob-key", "x"), CloudifyClientError, 409, "conflict_error"
    )
    assert err._message == (
        "<Secret id=`glob-key` tenant=`team-eu`> already exists on <Tenant name=`team-eu`> or "
        "with global visibility"
    )
    err = raises(
        lambda: admin.secrets.set_global("ten-key"), CloudifyClientError, 409, "conflict_error"
    )
    assert err._message == (
        "Can't set or create the resource <Secret id=`ten-key` tenant=`default_tenant`>, its "
        "visibility can't be global because it also exists in other tenants"
    )


# -- lists -----------------------------------------------------------------------------------


def test_list_semantics(admin: CloudifyClient, http: httpx.Client) -> None:
    for key in ("lst-b", "lst-a", "lst-c"):
        admin.secrets.create(key, key.upper(), is_hidden_value=key == "lst-c")
    page = admin.secrets.list(sort="key", is_descending=True, _search="LST-", _size=2, _offset=1)
    assert [s.key for s in page] == ["lst-b", "lst-a"]
    assert page.metadata.pagination.total == 3
    assert page.metadata.pagination.size == 2 and page.metadata.pagination.offset == 1
    assert [s.key for s in admin.secrets.list(_search="lst-", is_hidden_value=True)] == ["lst-c"]
    assert [s.key for s in admin.secrets.list(key=["lst-a", "lst-c"], sort="key")] == [
        "lst-a",
        "lst-c",
    ]
    narrow = admin.secrets.list(_search="lst-a", _include=["key", "visibility"])
    assert [dict(s) for s in narrow] == [{"key": "lst-a", "visibility": "tenant"}]

    raises(
        lambda: admin.secrets.list(_include=["value"]),
        NoSuchIncludeFieldError,
        400,
        "no_such_include_field_error",
        f"Include keys '['value']' do not exist. Allowed keys are: {LIST_KEYS}",
    )
    bad_sort = http.get("/secrets", params={"_sort": "nope"})
    assert bad_sort.json()["message"] == (
        f"Sort keys '['nope']' do not exist. Allowed keys are: {FIELD_KEYS}"
    )
    bad_filter = http.get("/secrets", params={"id": "lst-a"})
    assert bad_filter.json()["message"] == (
        f"Filter keys '['id']' do not exist. Allowed keys are: {FIELD_KEYS}"
    )
    # the real manager compares values as ciphertext: a plain value matches nothing
    assert http.get("/secrets", params={"value": "LST-A"}).json()["items"] == []


# -- storage and logs ----------------------------------------------------------------------


def test_values_stay_out_of_the_request_log(tmp_path: Path) -> None:
    log = tmp_path / "requests.jsonl"
    proc = ManagerProcess(
        data=tmp_path / "manager", extra_args=["--request-log", str(log), "--request-log-bodies"]
    ).start()
    try:
        with admin_client(proc) as http:
            assert http.put("/secrets/logged", json={"value": "do-not-log-me"}).status_code == 200
            assert http.patch("/secrets/logged", json={"value": "nor-me"}).status_code == 200
            assert http.get("/secrets/logged").json()["value"] == "nor-me"
    finally:
        proc.stop()
    text = log.read_text()
    assert "do-not-log-me" not in text and "nor-me" not in text
    bodies = [json.loads(line).get("body") for line in text.splitlines()]
    assert {"value": "********"} in bodies
    assert not any("do-not-log-me" in line or "nor-me" in line for line in proc.output)


def test_a_data_directory_from_before_secrets_opens(manager: ManagerProcess) -> None:
    with admin_client(manager) as http:
        assert http.put("/secrets/old-dir", json={"value": "x"}).status_code == 200
    manager.stop()
    with sqlite3.connect(manager.data / "manager.sqlite3") as db:
        db.execute("DROP TABLE secrets")
        db.execute("DROP TABLE secret_parameters")
    manager.start()
    with admin_client(manager) as http:
        assert http.get("/secrets").json()["items"] == []
        assert http.put("/secrets/old-dir", json={"value": "y"}).status_code == 200
        assert http.get("/secrets/old-dir").json()["value"] == "y"
