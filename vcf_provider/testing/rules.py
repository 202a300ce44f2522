"""SDDC Manager's API rules as plain code: a request in, an answer out, with no sockets and no faults."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import unquote

from vcf_provider.testing.faults import vcf_error
from vcf_provider.testing.tasks import TaskBook

TASKS_PREFIX = "/v1/tasks/"
DOMAINS_PATH = "/v1/domains"
JSON = "application/json"


@dataclass(frozen=True)
class ApiRequest:
    """One request as the API rules see it (the socket side has read it whole)."""

    method: str
    """The HTTP method, upper case."""

    path: str
    """The path without its query string, e.g. ``/v1/tokens``."""

    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    """The request headers; kept out of repr, since they hold the bearer token."""

    body: bytes = field(default=b"", repr=False)
    """The request body; kept out of repr, since it holds credentials."""

    clock_offset_seconds: float = 0.0
    """Shifts the iat/nbf/exp of tokens minted for this answer (`Fault.skewed_clock`)."""

    def header(self, name: str) -> str:
        """A header's value by case-insensitive name ('' when absent)."""
        wanted = name.lower()
        return next((value for key, value in self.headers.items() if key.lower() == wanted), "")


@dataclass(frozen=True)
class ApiAnswer:
    """One answer of the API rules, before the socket side sends it (at once, late, or trickled)."""

    status: int
    """The HTTP status."""

    body: bytes = b""
    """The body, byte for byte."""

    headers: Mapping[str, str] = field(default_factory=lambda: {"Content-Type": JSON})
    """The answer's own headers (the socket side adds Server, Date and Content-Length)."""

    @classmethod
    def json(cls, status: int, document: Any, headers: Mapping[str, str] | None = None) -> ApiAnswer:
        """`document` as a JSON body."""
        return cls(status, json.dumps(document).encode(), {"Content-Type": JSON, **(headers or {})})

    @classmethod
    def error(cls, status: int, code: str, message: str, remediation: str, **extra: Any) -> ApiAnswer:
        """A VCF `Error` payload, as SDDC Manager sends its failures."""
        return cls.json(status, vcf_error(code, message, remediation, **extra))


class Manager(Protocol):
    """What the rules need of an emulator: its accounts, refresh tokens, signing and tasks."""

    refresh_answer: str
    users: dict[str, str]
    api_keys: set[str]
    id_tokens: set[str]
    domain_task_polls: int
    domain_task_seconds: float | None
    tasks: TaskBook

    def issue_refresh_token(self, username: str = ...) -> str: ...
    def refresh_token_user(self, refresh_id: str) -> str | None: ...
    def revoke(self, refresh_id: str) -> bool: ...
    def mint_access_token(self, username: str = ..., *, clock_offset_seconds: float = ...) -> str: ...
    def access_token_is_valid(self, token: str) -> bool: ...
    def add_task(
        self,
        name: str,
        *,
        polls_until_done: int = ...,
        task_type: str = ...,
        subtasks: Iterable[str] = ...,
        duration_seconds: float | None = ...,
    ) -> str: ...


def refresh_token_id(body: bytes) -> str:
    """The id in a refresh or revoke body, sent raw (PowerVCF, this package) or as a JSON string
    (the official Python and Go SDKs, which follow the spec's `string` schema literally)."""
    text = body.decode("utf-8", errors="replace").strip()
    if text.startswith('"'):
        try:
            decoded = json.loads(text)
        except ValueError:
            return text
        if isinstance(decoded, str):
            return decoded
    return text


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def _unauthorized() -> ApiAnswer:
    return ApiAnswer.error(
        401,
        "Unauthorized",
        "The access token is missing, invalid or expired.",
        "Refresh the access token and retry.",
    )


SDDC_MANAGERS = {
    "elements": [
        {"id": "5d3c6b8e-0000-4000-8000-000000000001", "fqdn": "sddc-manager.vcf.test", "version": "9.0.2.0"}
    ],
    "pageMetadata": {"pageNumber": 0, "pageSize": 1, "totalElements": 1, "totalPages": 1},
}


class SddcManagerApi:
    """The token API, tasks and workload domains of SDDC Manager, answered from `manager`'s state.

    `api(request)` is the whole of it: the same answers the HTTPS server sends, for tests of the
    rules themselves (no TLS, no request log, no faults; those are the server's).
    """

    def __init__(self, manager: Manager) -> None:
        self.manager = manager

    def __call__(self, request: ApiRequest) -> ApiAnswer:
        method, path = request.method, request.path
        if method == "POST" and path == "/v1/tokens":
            return self._create_token_pair(request)
        if method == "PATCH" and path == "/v1/tokens/access-token/refresh":
            return self._refresh(request)
        if method == "DELETE" and path == "/v1/tokens/refresh-token":
            return self._revoke(request)
        if method == "HEAD" and path == "/":
            # SDDC Manager's web server answers with its UI's headers (no body for a HEAD).
            return ApiAnswer(200, b"", {"Content-Type": "text/html"})
        bearer_routes = (
            method == "GET" and (path == "/v1/sddc-managers" or path.startswith(TASKS_PREFIX)),
            method == "POST" and path == DOMAINS_PATH,
            method == "DELETE" and path.startswith(DOMAINS_PATH + "/"),
        )
        if any(bearer_routes):
            return self._with_bearer(request)
        return ApiAnswer.error(404, "NOT_FOUND", f"No API at {method} {path}.", "Check the URL.")

    def _mint(self, username: str, request: ApiRequest) -> str:
        return self.manager.mint_access_token(username, clock_offset_seconds=request.clock_offset_seconds)

    def _create_token_pair(self, request: ApiRequest) -> ApiAnswer:
        spec = _json_object(request.body)
        if spec is None:
            return ApiAnswer.error(
                400, "INVALID_REQUEST", "The request body is not JSON.", "Send a TokenCreationSpec."
            )
        username = spec.get("username")
        if isinstance(spec.get("apiKey"), str) and spec["apiKey"] in self.manager.api_keys:
            username = "api-key-user@local"
        elif isinstance(spec.get("idToken"), str) and spec["idToken"] in self.manager.id_tokens:
            username = "id-token-user@local"
        elif not (isinstance(username, str) and self.manager.users.get(username) == spec.get("password")):
            return ApiAnswer.error(
                400,
                "INVALID_CREDENTIALS",
                "Invalid username or password.",
                "Check the credentials and try again.",
                causes=[{"type": "AuthenticationException", "message": "Bad credentials"}],
            )
        refresh_id = self.manager.issue_refresh_token(username)
        access = self._mint(username, request)
        # 201 as the 9.x spec declares (older specs also listed 200; clients accept any 2xx).
        return ApiAnswer.json(201, {"accessToken": access, "refreshToken": {"id": refresh_id}})

    def _refresh(self, request: ApiRequest) -> ApiAnswer:
        refresh_id = refresh_token_id(request.body)
        if not refresh_id:
            return ApiAnswer.error(
                400,
                "REFRESH_TOKEN_MISSING",
                "The refresh token is missing from the request.",
                "Send the refresh token id as the request body.",
            )
        username = self.manager.refresh_token_user(refresh_id)
        if username is None:
            return ApiAnswer.error(
                404,
                "REFRESH_TOKEN_NOT_FOUND",
                "Refresh token not found. It is invalid, expired or has been revoked.",
                "Create a new token pair with POST /v1/tokens.",
                context={"component": "vcf-auth"},
            )
        token = self._mint(username, request)
        if self.manager.refresh_answer == "json":
            return ApiAnswer.json(200, token)
        return ApiAnswer(200, token.encode())

    def _revoke(self, request: ApiRequest) -> ApiAnswer:
        refresh_id = refresh_token_id(request.body)
        # An expired token is gone for SDDC Manager too: revoking it is a 404.
        if self.manager.refresh_token_user(refresh_id) is None or not self.manager.revoke(refresh_id):
            return ApiAnswer.error(
                404, "REFRESH_TOKEN_NOT_FOUND", "Refresh token not found.", "Nothing to do."
            )
        return ApiAnswer(204)

    def _with_bearer(self, request: ApiRequest) -> ApiAnswer:
        """The routes behind a bearer token: a 401 with a VCF Error unless it is valid."""
        authorization = request.header("Authorization")
        token = authorization.removeprefix("Bearer ").strip()
        if not (authorization.startswith("Bearer ") and self.manager.access_token_is_valid(token)):
            return _unauthorized()
        method, path = request.method, request.path
        if path == "/v1/sddc-managers":
            return ApiAnswer.json(200, SDDC_MANAGERS)
        if path.startswith(TASKS_PREFIX):
            return self._task(unquote(path[len(TASKS_PREFIX) :]))
        if method == "POST":
            return self._create_domain(request)
        domain_id = unquote(path[len(DOMAINS_PATH) + 1 :])
        return self._start_task(f"Deleting workload domain {domain_id[:80]}", "DOMAIN_DELETE")

    def _task(self, task_id: str) -> ApiAnswer:
        task = self.manager.tasks.poll(task_id)
        if task is None:
            return ApiAnswer.error(
                404, "TASK_NOT_FOUND", f"Task {task_id[:80]} not found.", "Check the task id."
            )
        return ApiAnswer.json(200, task)

    def _create_domain(self, request: ApiRequest) -> ApiAnswer:
        """POST /v1/domains: a workload domain is a long task; the answer is the task (202)."""
        spec = _json_object(request.body)
        name = spec.get("domainName") if spec is not None else None
        if not isinstance(name, str) or not name:
            return ApiAnswer.error(
                400, "DOMAIN_SPEC_INVALID", "domainName is missing.", "Send a DomainCreationSpec."
            )
        return self._start_task(f"Creating workload domain {name[:80]}", "DOMAIN_CREATE")

    def _start_task(self, name: str, task_type: str) -> ApiAnswer:
        task_id = self.manager.add_task(
            name,
            polls_until_done=self.manager.domain_task_polls,
            task_type=task_type,
            duration_seconds=self.manager.domain_task_seconds,
        )
        task = self.manager.tasks.peek(task_id)
        return ApiAnswer.json(202, task, {"Location": f"{TASKS_PREFIX}{task_id}"})
