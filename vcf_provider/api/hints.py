"""What to do about each failure, and the errors that say it; config keys come from the properties."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from vcf_provider.api import properties as p
from vcf_provider.api.answers import no_such_api, refresh_token_rejected, snippet
from vcf_provider.api.errors import (
    SddcManagerApiError,
    SddcManagerRedirectError,
    SddcManagerTlsError,
    SddcManagerUnreachableError,
)
from vcf_provider.api.failures import FailureKind
from vcf_provider.api.payload import parse_vcf_error
from vcf_provider.api.redaction import redact, redact_document
from vcf_provider.api.transport import MAX_BODY_BYTES, Answer, NetworkFailure

UNKNOWN_REFRESH_ID_HINT = (
    "SDDC Manager no longer accepts this refresh token: it expired, was revoked, or was never issued "
    "by this manager. If it comes from an AccessTokenPair in this stack, run `pulumi up --refresh` "
    "(a pair whose refresh token is gone logs in again), or `pulumi up --replace '<the pair's URN>'`. "
    "If it comes from stack config, create a token pair with POST /v1/tokens (an SDDC Manager user's "
    f"username and password) and store its refreshToken.id: `pulumi config set --secret "
    f"{p.REFRESH_TOKEN.config} <id>` (or pass refresh_token=...)."
)
NO_SUCH_API_HINT = (
    "there is no token API at this URL, so host does not point at SDDC Manager's API root. Set host "
    "to the manager's FQDN (sddc-manager.example.com) with no path, unless a proxy in front of it "
    "really adds one."
)
REQUEST_REFUSED_HINT = (
    "SDDC Manager refused the request itself, not the refresh token: the token is kept and nothing "
    "was logged in again. A proxy or load balancer that rewrites request bodies causes this; check "
    "that host reaches SDDC Manager directly, and quote the referenceToken to VMware support if it "
    "persists."
)
CA_BUNDLE_HINT = (
    f"SDDC Manager's certificate is not trusted by this machine. Set ca_bundle ({p.CA_BUNDLE.sources()}) "
    "to a PEM file holding the CA that signed it; allow_unverified_tls=true skips the check, but only "
    "for lab systems."
)
HOSTNAME_HINT = (
    "the certificate does not name the host you connect to. Use the FQDN on SDDC Manager's "
    "certificate as host (not its IP address or an alias)."
)
EXPIRED_CERTIFICATE_HINT = (
    "SDDC Manager's certificate is outside its validity period by this machine's clock: renew the "
    "manager's certificate (SDDC Manager > Security > Certificate Management), or, if it is still "
    "valid, correct this machine's clock (NTP). A CA bundle does not help here."
)
PLAIN_HTTP_HINT = (
    "something on that port speaks plain HTTP, not HTTPS. Check the port in host: SDDC Manager "
    "answers HTTPS on 443."
)
UNREACHABLE_HINT = (
    "check the host name and port, and that SDDC Manager is up and reachable from this machine."
)
PROXY_HINT = (
    "check that the proxy in HTTPS_PROXY (or https_proxy, ALL_PROXY) is up and allows CONNECT to "
    "SDDC Manager's port, or list the manager in NO_PROXY to reach it directly."
)
PROXY_AUTH_HINT = (
    "the proxy wants a user and password it accepts, given in its URL: HTTPS_PROXY=http://user:"
    "password@proxy:3128 (or https_proxy, ALL_PROXY), with any @ : / % in them percent-encoded "
    "(p@ss is written p%40ss)."
)
TIMEOUT_HINT = (
    "check that SDDC Manager is up and reachable from this machine (proxies, load balancers), "
    f"or raise timeout_seconds ({p.TIMEOUT_SECONDS.sources()})."
)
LOGIN_REFUSED_HINT = (
    f"check the credentials: {p.USERNAME.config} and {p.PASSWORD.config} (or {p.API_KEY.config}, or "
    f"{p.ID_TOKEN.config}), or {'/'.join(str(prop.env_var) for prop in p.CREDENTIALS)}; the user "
    "needs a role in SDDC Manager."
)
LOGIN_NOT_REPEATED = (
    "A login (POST /v1/tokens) is never sent twice once it may have reached SDDC Manager: a second "
    "one could leave a token pair behind that nothing revokes."
)


def refresh_hint(answer: Answer) -> str | None:
    if no_such_api(answer):
        return NO_SUCH_API_HINT
    if refresh_token_rejected(answer):
        return UNKNOWN_REFRESH_ID_HINT
    if answer.status == 400:
        return REQUEST_REFUSED_HINT
    return None


def network_error(
    action: str,
    method: str,
    url: str,
    failure: NetworkFailure,
    attempts: int,
    repeatable: bool,
    secrets: tuple[str, ...],
) -> SddcManagerUnreachableError:
    detail = redact(failure.detail, secrets).rstrip(".")
    tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
    tls_hints = {
        FailureKind.TLS_VERIFY: CA_BUNDLE_HINT,
        FailureKind.TLS_HOSTNAME: HOSTNAME_HINT,
        FailureKind.TLS_EXPIRED: EXPIRED_CERTIFICATE_HINT,
        FailureKind.PLAIN_HTTP: PLAIN_HTTP_HINT,
    }
    if failure.kind in tls_hints:
        return SddcManagerTlsError(
            f"{action} failed: TLS with {url} failed: {detail}.\n  hint: {tls_hints[failure.kind]}"
        )
    if failure.kind == FailureKind.SHUTDOWN:
        return SddcManagerUnreachableError(f"{action} was stopped: {detail}.")
    hint = {
        FailureKind.TIMEOUT: TIMEOUT_HINT,
        FailureKind.CONNECT_TIMEOUT: TIMEOUT_HINT,
        FailureKind.PROXY: PROXY_HINT,
        FailureKind.PROXY_AUTH: PROXY_AUTH_HINT,
    }.get(failure.kind, UNREACHABLE_HINT)
    if failure.kind == FailureKind.PROXY_AUTH:
        # The proxy did answer: it refused the tunnel, so there is no "no answer" to report.
        first = f"{action} failed: the proxy did not pass {method} {url} on, after {tries}: {detail}."
    else:
        first = f"{action} failed: no answer from {method} {url} after {tries}: {detail}."
    lines = [first, f"  hint: {hint}"]
    if not repeatable and failure.may_have_reached_server:
        lines.append(f"  note: {LOGIN_NOT_REPEATED}")
    return SddcManagerUnreachableError("\n".join(lines))


def raise_for_status(
    action: str,
    answer: Answer,
    *,
    secrets: tuple[str, ...],
    hint: str | None = None,
    refresh_token_unknown: bool = False,
) -> None:
    method, url = answer.method, answer.url
    if 300 <= answer.status < 400:
        location = answer.headers.get("location")
        target = urlsplit(location or "").netloc or location or "nowhere"
        raise SddcManagerRedirectError(
            redact(
                f"{action} failed: {method} {url} answered HTTP {answer.status} {answer.reason}, "
                f"a redirect to {target}. Redirects are never followed, so the credential is not "
                "sent elsewhere: set host to the address SDDC Manager answers on directly.",
                secrets,
            )
        )
    if answer.status < 400:
        return
    error = None
    if answer.body and not answer.truncated:
        try:
            error = parse_vcf_error(redact_document(json.loads(answer.text), secrets))
        except ValueError:
            error = None
    if answer.truncated:
        too_long = f"the body is over {MAX_BODY_BYTES} bytes and was not read whole"
        hint = f"{hint} ({too_long})" if hint else too_long
    raise SddcManagerApiError(
        action=action,
        method=method,
        url=url,
        status=answer.status,
        reason=answer.reason,
        error=error,
        content_type=answer.content_type or None,
        body_snippet=snippet(answer.text, secrets),
        body_length=len(answer.body),
        hint=hint,
        secrets=secrets,
        refresh_token_unknown=refresh_token_unknown,
    )
