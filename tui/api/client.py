"""`ManagerClient`: an async client of the Cloudify REST API v3.1 on httpx.

It follows the real contract and its pitfalls: `Content-Type` exactly
`application/json` on every request (the manager answers 415 to
`application/json; charset=utf-8`), the `Tenant` header, Basic or token auth, TLS
verification on by default, explicit timeouts, and workflows read from
`GET /deployments/<id>` (the list endpoint's are unreliable on current managers).
"""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from tui.api.errors import (
    BadParameters,
    BadResponse,
    ConnectionRefused,
    InvalidRequest,
    NotFound,
    RequestTimeout,
    TLSFailure,
    TransportError,
    manager_error,
)
from tui.api.fields import FieldSupport
from tui.api.hosts import Hosts, may_try_next
from tui.api.models import (
    Deployment,
    Event,
    Execution,
    NodeInstance,
    Page,
    VersionInfo,
    as_mapping,
    integer,
    mapping,
    opt_text,
)
from tui.api.queries import DeploymentQuery, SavedFilter
from tui.api.urls import userinfo, without_userinfo

T = TypeVar("T")

DEPLOYMENT_LIST_FIELDS = (
    "id",
    "display_name",
    "blueprint_id",
    "tenant_name",
    "created_at",
    "updated_at",
    "latest_execution",
    "latest_execution_status",
    "latest_execution_workflow_id",
    "deployment_status",
    "installation_status",
    "labels",
)
EXECUTION_FIELDS = (
    "id",
    "workflow_id",
    "deployment_id",
    "status",
    "error",
    "created_at",
    "started_at",
    "ended_at",
    "created_by",
    "total_operations",
    "finished_operations",
    "is_dry_run",
    "parameters",
    "blueprint_id",
)
# The running executions of the whole manager, polled every fast tick: only what the
# panes show of them (a status override in the deployments pane, the force-start and
# conflict dialogs, the watch bar), never `parameters` or `error` (tracebacks).
ACTIVE_EXECUTION_FIELDS = (
    "id",
    "workflow_id",
    "deployment_id",
    "status",
    "is_dry_run",
    "is_system_workflow",
    "created_at",
    "started_at",
)
# The selected deployment as the workflows pane, the start form and the raw view use
# it: the list row's fields plus its workflows (correct only on the single GET).
DEPLOYMENT_DETAIL_FIELDS = (
    *DEPLOYMENT_LIST_FIELDS,
    "workflows",
    "description",
    "site_name",
)
# A deployment's node instances as their table shows them: never the runtime
# properties (they can be large, and hold what a plugin stored, secrets included).
NODE_INSTANCE_FIELDS = ("id", "node_id", "deployment_id", "state", "host_id", "index")
CANCEL_ACTIONS = ("cancel", "force-cancel", "kill")


@dataclass(frozen=True)
class Timeouts:
    connect: float = 5.0
    read: float = 30.0
    write: float = 10.0
    pool: float = 5.0

    def httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)


class ManagerClient:
    """One manager (or one cluster of managers), one tenant, one identity.

    `url` is one manager's URL or the URLs of a cluster's managers: a request that
    cannot reach the host in use goes to the next one (`tui/api/hosts.py` says when),
    and the host that answered stays in use. Credentials, tenant and TLS settings are
    the same for every host of a cluster."""

    def __init__(
        self,
        url: str | Sequence[str],
        *,
        username: str | None = None,
        password: str | None = None,
        token: str | None = None,
        tenant: str = "default_tenant",
        ca_cert: str | None = None,
        verify: bool = True,
        timeouts: Timeouts | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        on_request: Callable[[str, str, int | None, float], None] | None = None,
    ) -> None:
        urls = [url] if isinstance(url, str) else list(url)
        # Credentials in the URL (https://user:pw@host) are used, never shown: `url`
        # appears in every error message and on the status line.
        url_user, url_password = userinfo(urls[0]) if urls else (None, None)
        if username is None and password is None and token is None and url_user is not None:
            username, password = url_user, url_password or ""
        self.hosts = Hosts([without_userinfo(u).rstrip("/") for u in urls])
        self.tenant = tenant
        self.username = username
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if tenant:
            headers["Tenant"] = tenant
        auth: httpx.Auth | None = None
        if token:
            headers["Authentication-Token"] = token
        elif username is not None and password is not None:
            auth = httpx.BasicAuth(username, password)
        verify_arg: bool | ssl.SSLContext = verify
        if verify and ca_cert:
            verify_arg = ssl.create_default_context(cafile=ca_cert)
        if all(u.lower().startswith("http://") for u in self.hosts.urls):
            # No host speaks TLS: no certificate store to load (36 ms of start-up). A
            # redirect is never followed, so no request can reach an https:// URL.
            verify_arg = False
        self._on_request = on_request
        # The `_include` fields this manager does not give, learned per connection.
        self.fields = FieldSupport()
        self._http = httpx.AsyncClient(
            headers=headers,
            auth=auth,
            verify=verify_arg,
            timeout=(timeouts or Timeouts()).httpx(),
            transport=transport,
            follow_redirects=False,
        )

    def set_credentials(self, *, password: str | None = None, token: str | None = None) -> None:
        """New credentials for the same user (a changed password) or a new token,
        in place: everything holding this client uses them from the next request."""
        if token is not None:
            self._http.auth = None
            self._http.headers["Authentication-Token"] = token
        elif password is not None and self.username is not None:
            self._http.headers.pop("Authentication-Token", None)
            self._http.auth = httpx.BasicAuth(self.username, password)

    @property
    def url(self) -> str:
        """The URL of the host in use (without credentials)."""
        return self.hosts.current

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> ManagerClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- transport --------------------------------------------------------------------
    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Sequence[tuple[str, str]] | None = None,
        body: dict[str, Any] | None = None,
        expect: Iterable[int] = (200,),
        with_tenant: bool = True,
    ) -> Any:
        """One request; the decoded JSON body, or a ManagerError / TransportError.

        `with_tenant=False` leaves the `Tenant` header out: a manager refuses every
        request, even one that needs no tenant, that names a tenant it refuses."""
        content = None if body is None else json.dumps(body).encode()
        if params is not None:
            params = [(key, _wire(value)) for key, value in params]
        response = await self._send(method, path, params, content, with_tenant)
        if response.status_code == 204:
            return None
        return _decoded(method, path, response, tuple(expect))

    async def _send(
        self,
        method: str,
        path: str,
        params: Sequence[tuple[str, str]] | None,
        content: bytes | None,
        with_tenant: bool,
    ) -> httpx.Response:
        """Send to the host in use, moving on to the next host of a cluster while a
        failure allows it (`may_try_next`): what could not be reached is named."""
        attempts = self.hosts.attempts()
        tried: list[str] = []  # "url (reason)" of the hosts that could not be reached
        for number, index in enumerate(attempts, start=1):
            base = self.hosts.urls[index]
            loop_time = _now()
            status: int | None = None
            try:
                outgoing = self._http.build_request(
                    method, base + path, params=params, content=content
                )
                if not with_tenant:
                    outgoing.headers.pop("Tenant", None)
                response = await self._http.send(outgoing)
                status = response.status_code
            except (httpx.InvalidURL, UnicodeError) as exc:
                # Ids come from the server: one too long for a URL is refused before sending.
                raise InvalidRequest(f"{method} {path[:80]}... not sent: {_reason(exc)}") from None
            except httpx.HTTPError as exc:
                if number < len(attempts) and may_try_next(method, exc):
                    tried.append(f"{base} ({_reason(exc)})")
                    continue
                raise _transport_error(exc, base, tried) from None
            finally:
                if self._on_request is not None:
                    self._on_request(method, path, status, _now() - loop_time)
            self.hosts.answered(index)
            return response
        raise AssertionError("no host to send to")  # attempts() is never empty

    async def page(
        self,
        path: str,
        params: list[tuple[str, str]],
        parse: Callable[[Any], T | None],
        key: Callable[[T], str] | None = None,
        *,
        with_tenant: bool = True,
        body: dict[str, Any] | None = None,
    ) -> Page[T]:
        """A page of a list: `GET path`, or with `body` a `POST` (a search)."""
        method = "GET" if body is None else "POST"
        payload = await self.request(
            method, path, params=params, body=body, with_tenant=with_tenant
        )
        data = as_mapping(payload)
        items = data.get("items")
        if not isinstance(items, list):
            raise BadResponse(f"{method} {path} answered without an items list")
        pagination = as_mapping(as_mapping(data.get("metadata")).get("pagination"))
        parsed = tuple(x for x in (parse(item) for item in items) if x is not None)
        if key is not None:  # ids key the UI's rows: a repeated id keeps its first item
            first: dict[str, T] = {}
            for x in parsed:
                first.setdefault(key(x), x)
            parsed = tuple(first.values())
        return Page(
            items=parsed,
            total=integer(pagination, "total", len(parsed)),
            size=integer(pagination, "size", len(parsed)),
            offset=integer(pagination, "offset", 0),
        )

    # -- API ----------------------------------------------------------------------------
    async def version(self) -> VersionInfo:
        payload = await self.request("GET", "/api/version")
        info = VersionInfo.from_json(payload)
        self.fields.know_version(info.version)
        return info

    async def list_tenants(self) -> list[str]:
        """The names of the tenants this user may use (all of them for an admin), asked
        without a `Tenant` header so that it works after a tenant was refused."""
        page = await self.page(
            "/api/v3.1/tenants",
            [("_include", "name"), ("_get_all_results", "true"), ("_sort", "name")],
            lambda item: opt_text(as_mapping(item), "name") or None,
            key=lambda name: name,
            with_tenant=False,
        )
        return list(page.items)

    async def _listing(
        self,
        resource: str,
        params: list[tuple[str, str]],
        include: Sequence[str],
        parse: Callable[[Any], T | None],
        key: Callable[[T], str] | None = None,
        *,
        search_body: dict[str, Any] | None = None,
    ) -> Page[T]:
        """A list request with `_include=` of the fields this manager gives. Refused for
        a field it lacks (`no_such_include_field_error`), the named fields are dropped
        for the connection and the request is sent once more, never twice. With
        `search_body`, the list is `POST /searches/<resource>` with that body."""
        path = f"/api/v3.1/{resource}"
        if search_body is not None:
            path = f"/api/v3.1/searches/{resource}"
        for attempt in (1, 2):
            fields = self.fields.include(resource, include) if include else []
            query = [*params, ("_include", ",".join(fields))] if fields else list(params)
            try:
                return await self.page(path, query, parse, key=key, body=search_body)
            except BadParameters as error:
                retry = (
                    attempt == 1
                    and error.error_code == "no_such_include_field_error"
                    and self.fields.learn(resource, fields, error.message)
                )
                if not retry:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def list_deployments(
        self,
        *,
        size: int = 1000,
        offset: int = 0,
        search: str | None = None,
        sort: Sequence[str] = ("id",),
        include: Sequence[str] = DEPLOYMENT_LIST_FIELDS,
        ids: Iterable[str] = (),
        where: DeploymentQuery | None = None,
        get_data: bool = False,
    ) -> Page[Deployment]:
        """A page of deployments; `where` narrows them with the manager's filters (label
        rules make it a `POST /searches/deployments`, see `tui/api/queries.py`).

        `get_data` asks for computed fields: the current Cloudify master renders a
        list's `workflows` only with `_get_data=true` (7.0.4 accepts it, and renders
        them either way)."""
        params = [("_size", str(size)), ("_offset", str(offset))]
        if get_data:
            params.append(("_get_data", "true"))
        params += [("_sort", s) for s in sort]
        ids = list(ids)
        body = None
        if where is not None:
            search = " ".join(t for t in (search, where.text) if t) or None
            if where.saved:
                params.append(("_filter_id", where.saved))
            if where.searches:  # a search ignores plain filters: ids are a rule too
                body = {"filter_rules": where.rules(ids)}
                ids = []
            else:
                params += list(where.params)
        params += [("id", i) for i in ids]
        if search:
            params.append(("_search", search))
        try:
            return await self._listing(
                "deployments",
                params,
                include,
                Deployment.from_json,
                key=lambda d: d.id,
                search_body=body,
            )
        except NotFound as error:
            if body is None or error.error_code not in (None, "", "not_found_error"):
                raise
            if error.message.startswith("Requested `"):  # a thing named is missing (a
                raise  # saved filter), not the endpoint: the manager's words say which
            raise NotFound(
                "this manager cannot filter deployments by label (it has no "
                "/searches/deployments; Cloudify 6.0 or later has)",
                status_code=error.status_code,
                error_code=error.error_code,
            ) from None

    async def list_deployment_filters(self, *, size: int = 100) -> list[SavedFilter]:
        """The deployment filters saved on the manager (the tenant's, global ones and
        the manager's own `csys-` ones), by id."""
        page = await self.page(
            "/api/v3.1/filters/deployments",
            [("_size", str(size)), ("_sort", "id"), ("_include", "id,value,is_system_filter")],
            SavedFilter.from_json,
            key=lambda f: f.id,
        )
        return list(page.items)

    async def get_deployment(
        self, deployment_id: str, *, include: Sequence[str] = ()
    ) -> Deployment:
        """One deployment, whole, or only `include` (the fields this manager gives:
        a refused field is dropped and the request sent once more, as for lists)."""
        path = f"/api/v3.1/deployments/{path_segment(deployment_id)}"
        payload: Any = None
        for attempt in (1, 2):
            fields = self.fields.include("deployments", include) if include else []
            params = [("_include", ",".join(fields))] if fields else None
            try:
                payload = await self.request("GET", path, params=params)
                break
            except BadParameters as error:
                retry = (
                    attempt == 1
                    and error.error_code == "no_such_include_field_error"
                    and self.fields.learn("deployments", fields, error.message)
                )
                if not retry:
                    raise
        deployment = Deployment.from_json(payload)
        if deployment is None:
            raise BadResponse(f"deployment {deployment_id} answered without an id")
        return deployment

    async def list_executions(
        self,
        *,
        deployment_id: str | None = None,
        workflow_id: str | None = None,
        statuses: Iterable[str] = (),
        size: int = 50,
        offset: int = 0,
        sort: Sequence[str] = ("-created_at",),
        include_system: bool = False,
        include: Sequence[str] = EXECUTION_FIELDS,
        ids: Iterable[str] = (),
        all_tenants: bool = False,
        group_id: str | None = None,
    ) -> Page[Execution]:
        """A page of executions; `group_id` keeps the members of one execution group."""
        params = [("_include_system_workflows", "true" if include_system else "false")]
        if all_tenants:
            params.append(("_all_tenants", "true"))
        if group_id is not None:
            params.append(("_group_id", group_id))
        if deployment_id is not None:
            params.append(("deployment_id", deployment_id))
        if workflow_id is not None:
            params.append(("workflow_id", workflow_id))
        params += [("id", i) for i in ids]
        params += [("status", s) for s in statuses]
        params += [("_size", str(size)), ("_offset", str(offset))]
        params += [("_sort", s) for s in sort]
        return await self._listing(
            "executions", params, include, Execution.from_json, key=lambda e: e.id
        )

    async def list_node_instances(
        self,
        deployment_id: str,
        *,
        size: int = 1000,
        offset: int = 0,
        include: Sequence[str] = NODE_INSTANCE_FIELDS,
        ids: Iterable[str] = (),
    ) -> Page[NodeInstance]:
        params = [("deployment_id", deployment_id)]
        params += [("id", i) for i in ids]
        params += [("_size", str(size)), ("_offset", str(offset)), ("_sort", "id")]
        return await self._listing(
            "node-instances", params, include, NodeInstance.from_json, key=lambda n: n.id
        )

    async def get_node_instance(self, instance_id: str) -> NodeInstance:
        """One node instance, whole (runtime properties and relationships included)."""
        path = f"/api/v3.1/node-instances/{path_segment(instance_id)}"
        instance = NodeInstance.from_json(await self.request("GET", path))
        if instance is None:
            raise BadResponse(f"node instance {instance_id} answered without an id")
        return instance

    async def deployment_outputs(self, deployment_id: str) -> dict[str, Any]:
        """The deployment's outputs as the manager evaluates them now."""
        return await self._evaluated(deployment_id, "outputs")

    async def deployment_capabilities(self, deployment_id: str) -> dict[str, Any]:
        """The deployment's capabilities as the manager evaluates them now."""
        return await self._evaluated(deployment_id, "capabilities")

    async def _evaluated(self, deployment_id: str, what: str) -> dict[str, Any]:
        path = f"/api/v3.1/deployments/{path_segment(deployment_id)}/{what}"
        payload = as_mapping(await self.request("GET", path))
        if not isinstance(payload.get(what), dict):
            raise BadResponse(f"GET {path} answered without {what}")
        return mapping(payload, what)

    async def get_execution(self, execution_id: str) -> Execution:
        payload = await self.request("GET", f"/api/v3.1/executions/{path_segment(execution_id)}")
        return _execution(payload)

    async def start_execution(
        self,
        deployment_id: str,
        workflow_id: str,
        parameters: dict[str, Any] | None = None,
        *,
        force: bool = False,
        dry_run: bool = False,
        queue: bool = False,
        allow_custom_parameters: bool = False,
    ) -> Execution:
        """Start a workflow. The answer may be `pending` or `queued`: read its status."""
        payload = await self.request(
            "POST",
            "/api/v3.1/executions",
            body={
                "deployment_id": deployment_id,
                "workflow_id": workflow_id,
                "parameters": parameters or {},
                "allow_custom_parameters": allow_custom_parameters,
                "force": force,
                "dry_run": dry_run,
                "queue": queue,
            },
            expect=(201,),
        )
        return _execution(payload)

    async def cancel_execution(self, execution_id: str, action: str = "cancel") -> Execution:
        """`cancel`, `force-cancel` or `kill`; the answer shows a transitional status."""
        if action not in CANCEL_ACTIONS:
            raise ValueError(f"unknown cancel action {action!r}")
        payload = await self.request(
            "POST", f"/api/v3.1/executions/{path_segment(execution_id)}", body={"action": action}
        )
        return _execution(payload)

    async def resume_execution(self, execution_id: str, *, force: bool = False) -> Execution:
        payload = await self.request(
            "POST",
            f"/api/v3.1/executions/{path_segment(execution_id)}",
            body={"action": "force-resume" if force else "resume"},
        )
        return _execution(payload)

    async def list_events(
        self,
        execution_id: str,
        *,
        offset: int = 0,
        size: int = 100,
        include_logs: bool = True,
        newest_first: bool = False,
        group: bool = False,
    ) -> Page[Event]:
        """One page of an execution's events and logs in the order the `cfy` CLI tails
        them (`reported_timestamp`), or newest first: offset 0 of that order is the
        newest page, cheap on the real manager where a large `_offset` into its
        events-and-logs UNION costs a scan of every row before it. With `group`, the
        id is an execution group's: the events of all its members and its own logs."""
        scope = "execution_group_id" if group else "execution_id"
        params = [(scope, execution_id), ("type", "cloudify_event")]
        if include_logs:
            params.append(("type", "cloudify_log"))
        order = "-reported_timestamp" if newest_first else "reported_timestamp"
        params += [("_sort", order), ("_offset", str(offset)), ("_size", str(size))]
        return await self.page("/api/v3.1/events", params, Event.from_json)


async def every_page(read: Callable[[int], Awaitable[Page[T]]]) -> list[T]:
    """Every item of a list, page after page from offset 0 (`read(offset)` is one
    request), until the total the manager gives, or an empty page (the list shrank
    meanwhile)."""
    items: list[T] = []
    offset = 0
    while True:
        page = await read(offset)
        items.extend(page.items)
        offset += len(page.items)
        if not page.items or offset >= page.total:
            return items


_NOT_JSON = object()


def _transport_error(exc: httpx.HTTPError, url: str, tried: list[str]) -> TransportError:
    """The error of a request that got no answer from `url`, naming the other hosts
    of the cluster tried before it."""
    if isinstance(exc, httpx.TimeoutException):
        error: TransportError = RequestTimeout(
            f"{url} did not answer in time ({type(exc).__name__})"
        )
    elif isinstance(exc, httpx.ConnectError):
        if _is_tls(exc):
            error = TLSFailure(f"TLS with {url} failed: {_reason(exc)}")
        else:
            error = ConnectionRefused(f"cannot connect to {url}: {_reason(exc)}")
    elif isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        error = ConnectionRefused(f"connection to {url} broke: {_reason(exc)}")
    else:
        error = TransportError(f"request to {url} failed: {_reason(exc)}")
    if tried:
        error = type(error)(f"{error.message}; also tried {', '.join(tried)}")
    return error


def _execution(payload: Any) -> Execution:
    execution = Execution.from_json(payload)
    if execution is None:
        raise BadResponse("the manager answered with an execution without an id")
    return execution


def path_segment(value: str) -> str:
    """A path segment: ids with `/`, `?` or `#` must not change the URL's meaning."""
    return quote(_wire(value), safe="")


def _wire(value: str) -> str:
    """Text that can be sent: a lone surrogate (JSON allows `"\\ud800"`) is not UTF-8."""
    try:
        value.encode()
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return value


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]


def _is_tls(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return "SSL" in str(exc) or "certificate" in str(exc).lower()


def _now() -> float:
    return time.perf_counter()


def _decoded(method: str, path: str, response: httpx.Response, expect: tuple[int, ...]) -> Any:
    """The JSON body of an expected answer; the manager's error (its message, code and
    traceback when it sent them) for any other; BadResponse for a body that is not
    JSON."""
    try:
        payload = response.json() if response.content else None
    except (ValueError, UnicodeDecodeError, RecursionError):  # too deeply nested
        payload = _NOT_JSON
    if response.status_code not in expect:
        data = as_mapping(payload) if payload is not _NOT_JSON else {}
        message = data.get("message")
        if not isinstance(message, str):
            snippet = response.text[:200] if payload is _NOT_JSON else ""
            message = f"HTTP {response.status_code}" + (f": {snippet}" if snippet else "")
        code = data.get("error_code")
        trace = data.get("server_traceback")
        raise manager_error(
            response.status_code,
            code if isinstance(code, str) else None,
            message,
            trace if isinstance(trace, str) else None,
        )
    if payload is _NOT_JSON:
        raise BadResponse(
            f"{method} {path} answered {response.status_code} with a body that is not JSON"
        )
    return payload
