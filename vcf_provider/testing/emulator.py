"""A local HTTPS SDDC Manager that speaks the token API, with scripted faults and a request log."""

from __future__ import annotations

import math
import secrets
import ssl
import threading
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from vcf_provider.testing.clock import EmulatorClock, check_skew
from vcf_provider.testing.control import CONTROL_PREFIX, ControlApi
from vcf_provider.testing.rules import ApiAnswer, ApiRequest, SddcManagerApi
from vcf_provider.testing.server import make_server
from vcf_provider.testing.signing import sign_access_token, verified_claims
from vcf_provider.testing.statedir import SavedState, StateDir
from vcf_provider.testing.tasks import TaskBook
from vcf_provider.testing.traffic import Traffic

DEFAULT_USERNAME = "administrator@vsphere.local"
DEFAULT_PASSWORD = "VMware123!VMware123!"  # noqa: S105 - the emulator's documented demo login
#: The lifetime reported for SDDC Manager's refresh tokens (it does not say so in its answers).
DEFAULT_REFRESH_TOKEN_LIFETIME_SECONDS = 86_400.0
MISSING_TRUSTME = (
    "the SDDC Manager emulator makes its own CA with trustme, which is not installed: "
    "pip install 'vcf-provider[testing]'"
)


class _RefreshToken(NamedTuple):
    username: str
    expires_at: float | None
    """By the emulator's clock (seconds since the epoch); None: until revoked."""


class SddcManagerEmulator(Traffic):
    """An SDDC Manager token API on 127.0.0.1 with real TLS from its own CA.

    Use as a context manager, or call `start()` and `stop()`. Everything is thread-safe.

    Time: `clock` is the emulator's own; `advance(seconds)` moves it, and tokens' `iat`/`exp`,
    refresh-token expiry and tasks follow. `clock.process_environment(path)` gives processes you
    start (a `pulumi up`) the same time.

    `state_dir`: where the CA lives. Given one, the emulator holds it alone (a second emulator on it
    is refused with StateDirInUseError) and keeps the CA, the signing key, the clock and the refresh
    tokens that still work there, so a restart on the same dir carries on where the last one stopped.
    Every change is written as it happens, safely from any number of concurrent requests. A dir it
    cannot use, or whose files it cannot read, is a StateDirError in one line naming the dir or
    file; files it could not read are never overwritten. Without one, everything is in a temporary
    dir that `stop()` removes.

    `control=True` also serves, on the same port, the control interface of tests in other languages
    at `control_url` (`/__emulator/`, see vcf_provider.testing.control): move the clock, read and
    clear the request log (methods and paths only), count, revoke or expire refresh tokens. It has
    no authentication and is off by default: keep an emulator with it on loopback.

    `answer(ApiRequest(...))` gives the API's answer to one request as plain code, without sockets.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token_lifetime_seconds: float = 3600,
        refresh_token_lifetime_seconds: float | None = DEFAULT_REFRESH_TOKEN_LIFETIME_SECONDS,
        latency_seconds: float = 0.0,
        cert_hostnames: Iterable[str] | None = None,
        users: Mapping[str, str] | None = None,
        api_keys: Iterable[str] = (),
        id_tokens: Iterable[str] = (),
        refresh_answer: str = "json",
        failure_rate: float = 0.0,
        failure_seed: int = 0,
        state_dir: Path | None = None,
        clock_offset_seconds: float = 0.0,
        control: bool = False,
    ) -> None:
        import tempfile

        super().__init__(failure_rate=failure_rate, failure_seed=failure_seed)

        try:
            import trustme
        except ImportError:
            raise ImportError(MISSING_TRUSTME) from None

        # Finite too: an infinite lifetime or latency fails inside a request thread, where it is lost.
        if not (math.isfinite(token_lifetime_seconds) and token_lifetime_seconds > 0):
            raise ValueError("token_lifetime_seconds must be a finite number above 0")
        if not (math.isfinite(latency_seconds) and latency_seconds >= 0):
            raise ValueError("latency_seconds must be a finite number, 0 or more")
        refresh_lifetime = refresh_token_lifetime_seconds
        if refresh_lifetime is not None and not (math.isfinite(refresh_lifetime) and refresh_lifetime > 0):
            raise ValueError("refresh_token_lifetime_seconds must be a finite number above 0, or None")
        self.host = host
        self.token_lifetime_seconds = token_lifetime_seconds
        self.refresh_token_lifetime_seconds = refresh_token_lifetime_seconds
        """How long a refresh token works after POST /v1/tokens; None: until revoked."""
        self.clock_offset_seconds = clock_offset_seconds
        self.latency_seconds = latency_seconds
        self.users = dict(users or {DEFAULT_USERNAME: DEFAULT_PASSWORD})
        self.api_keys = set(api_keys)
        self.id_tokens = set(id_tokens)
        """Identity broker id tokens that POST /v1/tokens accepts as `idToken` (VCF 9)."""
        if refresh_answer not in ("raw", "json"):
            raise ValueError(
                "refresh_answer is 'json' (a JSON string, as the spec says) or 'raw' (token text)"
            )
        self.refresh_answer = refresh_answer
        """The refresh answer's body: 'json' (the spec's JSON string, quotes included) or 'raw'."""
        self._lock = threading.Lock()
        # Orders whole saves (snapshot, then write), so the newest snapshot is the one left on disk.
        self._save_lock = threading.Lock()
        self.control = control
        """Whether the control interface answers under `/__emulator/` (see the class docstring)."""
        self._refresh_tokens: dict[str, _RefreshToken] = {}
        self._issued_access_tokens: list[str] = []
        self._revoked: list[str] = []
        self._issued_refresh_tokens: list[str] = []
        self.stopping = threading.Event()
        self.domain_task_polls = 3
        """Polls before a task started by POST /v1/domains or DELETE /v1/domains/{id} ends."""
        self.domain_task_seconds: float | None = None
        """When set, those tasks run this long on the emulator's clock instead (see `advance`)."""

        self._own_state_dir = None
        if state_dir is None:
            self._own_state_dir = tempfile.TemporaryDirectory(prefix="sddc-emulator-")
            state_dir = Path(self._own_state_dir.name)
        self._state_dir = StateDir(Path(state_dir))
        self._state_dir.acquire()
        try:
            self._load_state(trustme)
            self.tasks = TaskBook(self.clock.now)
            """The tasks `GET /v1/tasks/{id}` serves; add them with `add_task`."""
            # By default the certificate names every way of reaching this server on loopback.
            names = cert_hostnames if cert_hostnames is not None else ("localhost", "127.0.0.1", host)
            server_cert = self.ca.issue_cert(*dict.fromkeys(names))
            self.tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            server_cert.configure_cert(self.tls_context)
            self._api = SddcManagerApi(self)
            self._control_api = ControlApi(self)
            self._server = make_server(self, host, port)
        except BaseException:
            self._state_dir.release()
            if self._own_state_dir is not None:
                self._own_state_dir.cleanup()
            raise
        self._thread: threading.Thread | None = None

    def _load_state(self, trustme: Any) -> None:
        """The CA, signing key, clock and refresh tokens: from the state dir if it has them, else new.

        Everything is read and checked before anything is written: a dir whose files cannot be
        read raises StateDirError and keeps them as they are.
        """
        saved = self._state_dir.load_state() if self._persistent else None
        ca = self._state_dir.load_ca(trustme.CA.from_pem) if self._persistent else None
        self._signing_key = saved.signing_key if saved else secrets.token_bytes(32)
        self.clock = EmulatorClock(saved.clock_offset_seconds if saved else 0.0)
        """The emulator's time; move it with `advance`."""
        now = self.clock.now()
        for refresh_id, (user, expires) in (saved.refresh_tokens if saved else {}).items():
            if expires is None or expires > now:
                self._refresh_tokens[refresh_id] = _RefreshToken(user, expires)
        if ca is not None:
            self.ca = ca
        else:
            self.ca = trustme.CA(organization_name="SDDC Manager emulator CA")
            self._state_dir.save_ca_pem(self.ca.cert_pem.bytes(), self.ca.private_key_pem.bytes())
        self.ca_path = self._state_dir.ca_path
        self._save()

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The base URL to pass as `host`, e.g. https://127.0.0.1:8443."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}"

    @property
    def control_url(self) -> str | None:
        """The control interface's base URL (`url` + /__emulator/), or None when it is off."""
        return self.url + CONTROL_PREFIX if self.control else None

    def answer(self, request: ApiRequest) -> ApiAnswer:
        """The answer to one request by SDDC Manager's API rules (or the control interface's, when
        on), as plain code: no sockets, no request log, no faults. The HTTPS server sends it."""
        if self.control and request.path.startswith(CONTROL_PREFIX):
            return self._control_api(request)
        return self._api(request)

    def start(self) -> SddcManagerEmulator:
        # A short poll interval: stop() waits for the serving loop to notice, and tests stop many.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name="sddc-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._thread is not None:
            # shutdown() waits for serve_forever to notice; on a never-started server it would wait forever.
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()
        # Nothing to save: every change to the kept state was written as it happened.
        self._state_dir.release()
        if self._own_state_dir is not None:
            self._own_state_dir.cleanup()

    def __enter__(self) -> SddcManagerEmulator:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- time ---------------------------------------------------------------------------------
    def now(self) -> float:
        """The emulator's time, seconds since the epoch (real time plus what `advance` added)."""
        return self.clock.now()

    @property
    def clock_offset_seconds(self) -> float:
        """Added to every token's iat/nbf/exp and the Date header: an SDDC Manager whose clock is off.

        Finite and at most 100 years either way (a ValueError otherwise), so every answer can be
        dated."""
        return self._clock_offset_seconds

    @clock_offset_seconds.setter
    def clock_offset_seconds(self, seconds: float) -> None:
        self._clock_offset_seconds = check_skew(seconds)

    def manager_time(self) -> float:
        """SDDC Manager's own clock: `now()` plus `clock_offset_seconds` (a manager whose clock is off).
        Token claims, token validity and the Date header follow it."""
        return self.clock.now() + self.clock_offset_seconds

    def advance(self, seconds: float) -> float:
        """Moves the emulator's time `seconds` ahead, at once; returns the new `now()`.

        Access tokens expire, refresh tokens reach their lifetime and tasks with a duration end
        as if that time had passed. Processes given `clock.process_environment(...)` follow it.
        """
        now = self.clock.advance(seconds)
        self._save()
        return now

    @property
    def _persistent(self) -> bool:
        """Whether the caller gave the state dir (a temporary one is not worth keeping)."""
        return self._own_state_dir is None

    def _save(self) -> None:
        """Writes what a restart on the same state dir needs (only for a dir the caller gave)."""
        if not self._persistent:
            return
        with self._save_lock:
            with self._lock:
                tokens = {key: (t.username, t.expires_at) for key, t in self._refresh_tokens.items()}
            self._state_dir.save_state(SavedState(self._signing_key, self.clock.offset_seconds, tokens))

    # -- tokens ------------------------------------------------------------------------------
    def issue_refresh_token(
        self,
        username: str = DEFAULT_USERNAME,
        lifetime_seconds: float | None = None,
        refresh_id: str | None = None,
    ) -> str:
        """A new refresh token id for `username`, as POST /v1/tokens would give.

        It expires after `lifetime_seconds`, by default `refresh_token_lifetime_seconds`. Pass
        `refresh_id` to make a known id valid again (state saved against another emulator).
        """
        refresh_id = refresh_id or str(uuid.uuid4())
        lifetime = self.refresh_token_lifetime_seconds if lifetime_seconds is None else lifetime_seconds
        expires = None if lifetime is None else self.clock.now() + lifetime
        with self._lock:
            self._refresh_tokens[refresh_id] = _RefreshToken(username, expires)
            self._issued_refresh_tokens.append(refresh_id)
        self._save()
        return refresh_id

    def refresh_token_user(self, refresh_id: str) -> str | None:
        """The user of a refresh token that still works, or None (unknown, expired or revoked)."""
        with self._lock:
            token = self._refresh_tokens.get(refresh_id)
        if token is None or (token.expires_at is not None and self.clock.now() >= token.expires_at):
            return None
        return token.username

    def revoke(self, refresh_id: str) -> bool:
        """Forget a refresh token, as DELETE /v1/tokens/refresh-token does; False if it was unknown."""
        with self._lock:
            if self._refresh_tokens.pop(refresh_id, None) is None:
                return False
            self._revoked.append(refresh_id)
        self._save()
        return True

    def revoke_all(self) -> int:
        """Revoke every refresh token (an administrator's clean-up); returns how many still worked."""
        working = self.live_refresh_tokens
        with self._lock:
            self._revoked.extend(self._refresh_tokens)
            self._refresh_tokens.clear()
        self._save()
        return len(working)

    def expire_refresh_tokens(self) -> int:
        """Let every refresh token reach its end of life now, as if its lifetime had passed."""
        now = self.clock.now()
        with self._lock:
            for refresh_id, token in self._refresh_tokens.items():
                self._refresh_tokens[refresh_id] = _RefreshToken(token.username, now)
            expired = len(self._refresh_tokens)
        self._save()
        return expired

    @property
    def issued_refresh_tokens(self) -> list[str]:
        """Every refresh token handed out, oldest first, whatever became of it (for assertions)."""
        with self._lock:
            return list(self._issued_refresh_tokens)

    @property
    def revoked_refresh_tokens(self) -> list[str]:
        with self._lock:
            return list(self._revoked)

    @property
    def live_refresh_tokens(self) -> list[str]:
        """Refresh tokens that still work: issued, not revoked, not expired."""
        now = self.clock.now()
        with self._lock:
            return [
                refresh_id
                for refresh_id, token in self._refresh_tokens.items()
                if token.expires_at is None or token.expires_at > now
            ]

    @property
    def issued_access_tokens(self) -> list[str]:
        """Every access token handed out, oldest first (for assertions)."""
        with self._lock:
            return list(self._issued_access_tokens)

    def mint_access_token(
        self,
        username: str = DEFAULT_USERNAME,
        lifetime_seconds: float | None = None,
        clock_offset_seconds: float = 0.0,
    ) -> str:
        """An HS256 JWT shaped like SDDC Manager's, signed with this emulator's key."""
        now = self.manager_time() + clock_offset_seconds
        lifetime = self.token_lifetime_seconds if lifetime_seconds is None else lifetime_seconds
        # Whole seconds as SDDC Manager sends them; a fractional lifetime keeps its fraction.
        token = sign_access_token(self._signing_key, username, now, lifetime)
        with self._lock:
            self._issued_access_tokens.append(token)
        return token

    def access_token_is_valid(self, token: str) -> bool:
        """True when `token` was signed by this emulator and has not expired by its clock."""
        claims = verified_claims(self._signing_key, token)
        return claims is not None and float(claims.get("exp", 0)) > self.manager_time()

    # -- tasks -------------------------------------------------------------------------------
    def add_task(
        self,
        name: str,
        *,
        polls_until_done: int = 0,
        final: str = "SUCCESSFUL",
        errors: Iterable[Mapping[str, Any]] = (),
        task_type: str = "DOMAIN_CREATE",
        subtasks: Iterable[str] = ("Validate input", "Deploy", "Configure"),
        duration_seconds: float | None = None,
    ) -> str:
        """A task that `GET /v1/tasks/{id}` reports IN_PROGRESS for `polls_until_done` polls, then
        `final` (``SUCCESSFUL``, ``FAILED``, ``CANCELLED``) with `errors` (VCF `Error` dicts, see
        `vcf_error`). Returns its id. Polls need a valid bearer token; script failed polls with
        ``script("GET", f"/v1/tasks/{id}", Fault.error(503), ...)``.

        With `duration_seconds` it runs for that long on the emulator's clock instead (a workload
        domain: 3600 to 7200), whatever the polls: `advance` the clock to see it end.
        """
        return self.tasks.add(
            name,
            polls_until_done=polls_until_done,
            final=final,
            errors=errors,
            task_type=task_type,
            subtasks=subtasks,
            duration_seconds=duration_seconds,
        )
