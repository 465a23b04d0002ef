"""`ManagerClient` as a manager sees it: who a request authenticates as, the exact
method, path and query of the reads the panes make, what an older manager's refusals
and missing endpoints turn into, and the exact words of the errors a user reads.

Each test pins a behaviour that a mutation of `tui/api/client.py` changed without
any other test noticing. The embedded manager answers where it can (through
`tests/wire.py`'s `RecordingTransport`, which keeps every request); tiny local
servers give the answers it never gives (an HTML 404, a 500 without a message, a
node instance without an id).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.api.old_manager import OldManager
from tests.conftest import admin_client
from tests.local_server import LocalServer, http_answer
from tests.manager_process import PASSWORDS, ManagerProcess
from tests.wire import RecordingTransport
from tui.api import (
    BadParameters,
    BadResponse,
    ConnectionRefused,
    ManagerClient,
    NotFound,
    TLSFailure,
    TransportError,
    Unauthorized,
    Unavailable,
)
from tui.api.queries import DeploymentQuery, label_rule

ENV_PROD = label_rule("env", ["prod"])
NO_LABEL_SEARCH = (
    "this manager cannot filter deployments by label (it has no "
    "/searches/deployments; Cloudify 6.0 or later has)"
)


def basic(user: str, password: str) -> str:
    """The `Authorization` header a manager reads the user from."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def with_userinfo(url: str, user: str, password: str) -> str:
    return url.replace("http://", f"http://{user}:{password}@", 1)


# -- credentials -------------------------------------------------------------------------


async def test_explicit_credentials_win_over_the_urls(module_manager: ManagerProcess) -> None:
    """A URL copied from a `cfy` profile may carry another user's credentials: the
    ones given explicitly are those the manager sees, and the operator gets the
    operator's one tenant, not the admin's two."""
    url = with_userinfo(module_manager.url, "admin", PASSWORDS["admin"])
    transport = RecordingTransport()
    async with ManagerClient(
        url, username="operator", password=PASSWORDS["operator"], transport=transport
    ) as client:
        assert client.username == "operator"
        assert await client.list_tenants() == ["default_tenant"]
    sent = transport.requests[0].headers["Authorization"]
    assert sent == basic("operator", PASSWORDS["operator"])


async def test_the_urls_credentials_are_used_when_none_are_given(
    module_manager: ManagerProcess,
) -> None:
    url = with_userinfo(module_manager.url, "admin", PASSWORDS["admin"])
    transport = RecordingTransport()
    async with ManagerClient(url, transport=transport) as client:
        assert client.username == "admin"
        assert await client.list_tenants() == ["default_tenant", "team-eu"]
    assert transport.requests[0].headers["Authorization"] == basic("admin", PASSWORDS["admin"])
    assert transport.requests[0].url.userinfo == b""  # never sent in the URL itself


async def test_a_new_password_is_sent_from_the_next_request(
    module_manager: ManagerProcess,
) -> None:
    """After a refused password the user types the right one: the same client (held
    by every pane) must authenticate with it, not with nothing."""
    transport = RecordingTransport()
    async with ManagerClient(
        module_manager.url, username="admin", password="wrong", transport=transport
    ) as client:
        with pytest.raises(Unauthorized):
            await client.list_tenants()
        client.set_credentials(password=PASSWORDS["admin"])
        assert await client.list_tenants() == ["default_tenant", "team-eu"]
    wrong, right = transport.requests
    assert wrong.headers["Authorization"] == basic("admin", "wrong")
    assert right.headers["Authorization"] == basic("admin", PASSWORDS["admin"])


# -- the exact requests of the reads -----------------------------------------------------


async def test_list_tenants_asks_without_a_tenant_and_sends_no_body(
    recorded: tuple[ManagerClient, RecordingTransport],
) -> None:
    """The tenant list is asked without a `Tenant` header (it must work after the
    tenant was refused); a GET carries no body (not even `null`)."""
    client, transport = recorded
    assert await client.list_tenants() == ["default_tenant", "team-eu"]
    assert transport.sent() == [
        (
            "GET",
            "/api/v3.1/tenants",
            [("_include", "name"), ("_get_all_results", "true"), ("_sort", "name")],
        )
    ]
    request = transport.requests[0]
    assert "Tenant" not in request.headers
    assert request.content == b"" and "Content-Length" not in request.headers


@pytest.mark.parametrize(
    ("search", "text", "sent"),
    [
        pytest.param("web", "prod", "web prod", id="both-joined-by-a-space"),
        pytest.param(None, "prod", "prod", id="the-filters-text-alone"),
        pytest.param("web", "", "web", id="the-search-alone"),
        pytest.param(None, "", None, id="neither"),
    ],
)
async def test_a_search_and_the_filters_text_are_one_search(
    recorded: tuple[ManagerClient, RecordingTransport],
    search: str | None,
    text: str,
    sent: str | None,
) -> None:
    """The quick search and a filter's text narrow together: one `_search` with both
    words, as the manager takes them."""
    client, transport = recorded
    await client.list_deployments(search=search, where=DeploymentQuery(text=text), include=("id",))
    _, _, query = transport.sent()[-1]
    assert [value for key, value in query if key == "_search"] == ([sent] if sent else [])


async def test_a_label_search_sends_the_ids_only_as_a_rule(
    recorded: tuple[ManagerClient, RecordingTransport],
) -> None:
    """With labels, the ids go in the body's `id` rule and nowhere else: the search
    answers only the asked ids that carry the label."""
    client, transport = recorded
    page = await client.list_deployments(
        where=DeploymentQuery(labels=(ENV_PROD,)), ids=["web-prod", "analytics"], include=("id",)
    )
    assert [d.id for d in page.items] == ["web-prod"]
    assert transport.sent() == [
        (
            "POST",
            "/api/v3.1/searches/deployments",
            [("_size", "1000"), ("_offset", "0"), ("_sort", "id"), ("_include", "id")],
        )
    ]
    assert transport.body(0)["filter_rules"][-1]["values"] == ["web-prod", "analytics"]


NOT_FOUND_HTML = b"<!doctype html><title>404 Not Found</title>"


def json_404(code: str) -> bytes:
    body = {"message": f"no such thing ({code})", "error_code": code, "server_traceback": None}
    return http_answer("404 NOT FOUND", json.dumps(body).encode())


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        pytest.param(http_answer("404 NOT FOUND", NOT_FOUND_HTML, "text/html"), None, id="html"),
        pytest.param(json_404("not_found_error"), "not_found_error", id="not-found-error"),
    ],
)
async def test_a_manager_without_label_search_says_so(answer: bytes, code: str | None) -> None:
    """A manager older than 6.0 has no `/searches/deployments`: its 404 becomes a
    sentence the user can act on, with the manager's status and code kept."""
    async with (
        LocalServer(answer) as server,
        ManagerClient(server.url, username="admin", password="pw") as client,
    ):
        with pytest.raises(NotFound) as info:
            await client.list_deployments(where=DeploymentQuery(labels=(ENV_PROD,)))
    assert info.value.message == NO_LABEL_SEARCH
    assert (info.value.status_code, info.value.error_code) == (404, code)
    assert server.requests[0].startswith(b"POST /api/v3.1/searches/deployments?")


@pytest.mark.parametrize(
    ("answer", "where", "message"),
    [
        pytest.param(
            json_404("deployment_group_not_found_error"),
            DeploymentQuery(labels=(ENV_PROD,)),
            "no such thing (deployment_group_not_found_error)",
            id="label-search-other-code",
        ),
        pytest.param(
            http_answer("404 NOT FOUND", NOT_FOUND_HTML, "text/html"),
            None,
            "HTTP 404: <!doctype html><title>404 Not Found</title>",
            id="plain-list",
        ),
    ],
)
async def test_other_404s_of_a_list_are_the_managers_own(
    answer: bytes, where: DeploymentQuery | None, message: str
) -> None:
    """Only a label search's 404 without a code of its own means 'no label search':
    any other one is shown as the manager said it."""
    async with (
        LocalServer(answer) as server,
        ManagerClient(server.url, username="admin", password="pw") as client,
    ):
        with pytest.raises(NotFound) as info:
            await client.list_deployments(where=where)
    assert info.value.message == message


async def test_saved_filters_exact_request(
    recorded: tuple[ManagerClient, RecordingTransport],
) -> None:
    client, transport = recorded
    saved = await client.list_deployment_filters(size=2)
    assert [f.id for f in saved] == ["ansible-deployments", "aws-deployments"]
    assert transport.sent() == [
        (
            "GET",
            "/api/v3.1/filters/deployments",
            [("_size", "2"), ("_sort", "id"), ("_include", "id,value,is_system_filter")],
        )
    ]


# -- one deployment from an older manager -------------------------------------------------


@pytest.fixture
async def old_client(
    module_manager: ManagerProcess,
) -> AsyncIterator[tuple[ManagerClient, OldManager]]:
    """An admin client of a manager (6.x) that has no `latest_execution_workflow_id`."""
    old = OldManager({"deployments": {"latest_execution_workflow_id"}})
    async with ManagerClient(
        module_manager.url, username="admin", password=PASSWORDS["admin"], transport=old
    ) as client:
        yield client, old


async def test_get_deployment_drops_a_refused_field_and_asks_once_more(
    old_client: tuple[ManagerClient, OldManager],
) -> None:
    """The workflows pane reads one deployment with the list's fields: an older
    manager refusing one of them must not leave the pane empty."""
    client, old = old_client
    include = ("id", "latest_execution_workflow_id", "workflows")
    deployment = await client.get_deployment("web-prod", include=include)
    assert deployment.id == "web-prod" and deployment.workflows
    assert deployment.latest_execution_workflow_id is None
    assert old.refused == ["deployments:latest_execution_workflow_id"]
    assert old.requests == ["/api/v3.1/deployments/web-prod"] * 2
    assert client.fields.missing() == {
        "deployments": {
            "latest_execution_workflow_id": (
                "the manager refused _include=latest_execution_workflow_id"
            )
        }
    }
    # Learned for the connection: the next read is one request.
    await client.get_deployment("db-main", include=include)
    assert len(old.requests) == 3 and len(old.refused) == 1


async def test_get_deployment_raises_a_refusal_that_names_nothing(
    module_manager: ManagerProcess,
) -> None:
    """Nothing to drop, nothing resent: the refusal is the answer."""
    old = OldManager({"deployments": {"latest_execution_workflow_id"}}, wording="opaque")
    async with ManagerClient(
        module_manager.url, username="admin", password=PASSWORDS["admin"], transport=old
    ) as client:
        with pytest.raises(BadParameters) as info:
            await client.get_deployment("web-prod", include=("id", "latest_execution_workflow_id"))
    assert info.value.message == "Include fields are not valid"
    assert old.requests == ["/api/v3.1/deployments/web-prod"]


# -- node instances, outputs, capabilities -----------------------------------------------


async def test_node_instances_exact_requests(
    recorded: tuple[ManagerClient, RecordingTransport],
) -> None:
    client, transport = recorded
    every = await client.list_node_instances("web-prod")
    ids = [n.id for n in every.items]
    assert ids == sorted(ids) and len(ids) == 3
    assert {n.deployment_id for n in every.items} == {"web-prod"}
    page = await client.list_node_instances("web-prod", size=1, offset=1, ids=ids[1:])
    assert [n.id for n in page.items] == [ids[2]]
    fields = "id,node_id,deployment_id,state,host_id,index"
    assert transport.sent(1) == [
        (
            "GET",
            "/api/v3.1/node-instances",
            [
                ("deployment_id", "web-prod"),
                ("id", ids[1]),
                ("id", ids[2]),
                ("_size", "1"),
                ("_offset", "1"),
                ("_sort", "id"),
                ("_include", fields),
            ],
        )
    ]
    one = await client.get_node_instance(ids[0])
    assert (one.id, one.node_id, one.deployment_id) == (ids[0], every.items[0].node_id, "web-prod")
    assert transport.sent(2) == [("GET", f"/api/v3.1/node-instances/{ids[0]}", [])]
    with pytest.raises(NotFound) as info:
        await client.get_node_instance("nope")
    assert info.value.message == "Requested `NodeInstance` with ID `nope` was not found"


async def test_a_node_instance_without_an_id_is_a_bad_response() -> None:
    answer = http_answer("200 OK", b'{"node_id": "vm", "state": "started"}')
    async with (
        LocalServer(answer) as server,
        ManagerClient(server.url, username="admin", password="pw") as client,
    ):
        with pytest.raises(BadResponse) as info:
            await client.get_node_instance("vm_1")
    assert info.value.message == "node instance vm_1 answered without an id"
    assert server.requests[0].startswith(b"GET /api/v3.1/node-instances/vm_1 ")


async def test_outputs_and_capabilities_are_the_asked_deployments(
    recorded: tuple[ManagerClient, RecordingTransport], module_manager: ManagerProcess
) -> None:
    client, transport = recorded
    with admin_client(module_manager) as http:
        raw = {
            (d, what): http.get(f"/deployments/{d}/{what}").json()[what]
            for d in ("web-prod", "db-main")
            for what in ("outputs", "capabilities")
        }
    for d in ("web-prod", "db-main"):
        assert await client.deployment_outputs(d) == raw[d, "outputs"]
        assert await client.deployment_capabilities(d) == raw[d, "capabilities"]
    assert set(raw["web-prod", "outputs"]) == {"endpoint", "image"}
    assert set(raw["db-main", "capabilities"]) == {"host", "port"}
    assert [path for _, path, _ in transport.sent()] == [
        "/api/v3.1/deployments/web-prod/outputs",
        "/api/v3.1/deployments/web-prod/capabilities",
        "/api/v3.1/deployments/db-main/outputs",
        "/api/v3.1/deployments/db-main/capabilities",
    ]


# -- the words of the errors -------------------------------------------------------------


async def test_tls_to_a_plain_http_port_says_tls_failed(module_manager: ManagerProcess) -> None:
    """`https://` to a manager that speaks plain HTTP: the user reads that TLS failed
    with which host and OpenSSL's reason, not 'cannot connect'."""
    url = module_manager.url.replace("http://", "https://", 1)
    async with ManagerClient(url, username="admin", password="pw") as client:
        with pytest.raises(TLSFailure) as info:
            await client.version()
    pattern = re.escape(f"TLS with {url} failed: ") + r"\[SSL: WRONG_VERSION_NUMBER\] .+"
    assert re.fullmatch(pattern, info.value.message), info.value.message


class RefusingTransport(httpx.AsyncBaseTransport):
    """A transport (a proxying one, say) that reports a connect failure in its own
    words, without the `ssl.SSLError` behind it."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(self.reason, request=request)


@pytest.mark.parametrize(
    ("reason", "cls"),
    [
        pytest.param("Certificate has expired", TLSFailure, id="certificate"),
        pytest.param("SSL handshake aborted", TLSFailure, id="ssl"),
        pytest.param("Connection refused", ConnectionRefused, id="refused"),
    ],
)
async def test_a_connect_failure_is_tls_by_its_words(
    reason: str, cls: type[TransportError]
) -> None:
    url = "https://cfy.example"
    client = ManagerClient(url, username="a", password="b", transport=RefusingTransport(reason))
    async with client:
        with pytest.raises(cls) as info:
            await client.version()
    assert type(info.value) is cls
    words = "TLS with" if cls is TLSFailure else "cannot connect to"
    sep = " failed: " if cls is TLSFailure else ": "
    assert info.value.message == f"{words} {url}{sep}{reason}"


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        pytest.param(http_answer("500 Internal Server Error", b""), "HTTP 500", id="empty"),
        pytest.param(
            http_answer("500 Internal Server Error", b'{"error_code": 3}'),
            "HTTP 500",
            id="json-without-message",
        ),
        pytest.param(
            http_answer("500 Internal Server Error", b"<h1>boom</h1>" + b"x" * 300, "text/html"),
            "HTTP 500: <h1>boom</h1>" + "x" * 187,
            id="html-snippet",
        ),
    ],
)
async def test_an_error_without_a_message_is_its_status(answer: bytes, message: str) -> None:
    """The status line shows exactly the status, and at most 200 characters of a body
    that is not JSON."""
    async with (
        LocalServer(answer) as server,
        ManagerClient(server.url, username="admin", password="pw") as client,
    ):
        with pytest.raises(Unavailable) as info:
            await client.version()
    assert info.value.message == message


async def test_a_missing_saved_filter_in_a_label_search_is_named_not_taken_for_no_search(
    recorded: tuple[ManagerClient, RecordingTransport],
) -> None:
    """A manager with label search answers a saved filter it does not have with a 404
    `not_found_error` too, but names what is missing: that is what the user must see,
    not "this manager cannot filter deployments by label"."""
    client, _ = recorded
    with pytest.raises(NotFound) as info:
        await client.list_deployments(where=DeploymentQuery(labels=(ENV_PROD,), saved="nosuch"))
    assert info.value.message == "Requested `DeploymentsFilter` with ID `nosuch` was not found"


async def test_a_search_answered_without_items_names_its_method() -> None:
    answer = http_answer("200 OK", json.dumps({"metadata": {}}).encode())
    async with (
        LocalServer(answer) as server,
        ManagerClient(server.url, username="admin", password="pw") as client,
    ):
        with pytest.raises(BadResponse) as info:
            await client.list_deployments(where=DeploymentQuery(labels=(ENV_PROD,)))
    assert info.value.message == (
        "POST /api/v3.1/searches/deployments answered without an items list"
    )
