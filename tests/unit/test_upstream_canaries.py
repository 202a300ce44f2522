"""Canaries: what we rely on in pulumi's and urllib3's internals is still there. Each failure says
what changed upstream, so an upgrade breaks here, in seconds, and not silently in users' output."""

from __future__ import annotations

import ast
import importlib.util
import socket
import warnings

import pytest
import urllib3
from urllib3.exceptions import InsecureRequestWarning

from vcf_provider.api import transport
from vcf_provider.api.attempt import DeadlineConnection, DeadlineSocket
from vcf_provider.testing import SddcManagerEmulator


def _dynamic_host_source() -> ast.Module:
    # Importing the host would start its gRPC server (it calls main() at import): read it instead.
    spec = importlib.util.find_spec("pulumi.dynamic.__main__")
    assert spec is not None, "pulumi.dynamic.__main__ is gone: plain_errors has no host to hook"
    assert spec.origin, "pulumi.dynamic.__main__ has no source file to read"
    with open(spec.origin, encoding="utf-8") as file:
        return ast.parse(file.read())


def test_the_pulumi_dynamic_host_still_formats_errors_through_its_traceback_global() -> None:
    tree = _dynamic_host_source()
    imports = {alias.name for node in tree.body if isinstance(node, ast.Import) for alias in node.names}
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}

    assert "traceback" in imports, "pulumi.dynamic.__main__ no longer imports `traceback` at module level"
    assert "_abort_with_traceback" in functions, "pulumi.dynamic.__main__ lost `_abort_with_traceback`"
    calls = ast.unparse(functions["_abort_with_traceback"])
    assert "traceback.format_exc()" in calls, "`_abort_with_traceback` no longer calls traceback.format_exc()"


def test_the_pulumi_dynamic_servicer_methods_still_name_their_grpc_argument_request() -> None:
    tree = _dynamic_host_source()
    (servicer,) = [
        n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "DynamicResourceProviderServicer"
    ]
    methods = {n.name: [a.arg for a in n.args.args] for n in servicer.body if isinstance(n, ast.FunctionDef)}

    for name in ("Create", "Update", "Delete", "Read"):
        assert methods.get(name, [])[1:2] == ["request"], (
            f"DynamicResourceProviderServicer.{name} no longer takes `request`: plain_errors cannot find "
            "the URN for the `pulumi state delete` hint"
        )


def test_the_pulumi_dynamic_hosts_cancel_is_still_a_plain_function_we_can_extend() -> None:
    tree = _dynamic_host_source()
    imported = {
        alias.asname or alias.name for n in tree.body if isinstance(n, ast.ImportFrom) for alias in n.names
    }
    (servicer,) = [
        n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "DynamicResourceProviderServicer"
    ]
    (cancel,) = [n for n in servicer.body if isinstance(n, ast.FunctionDef) and n.name == "Cancel"]

    assert "empty_pb2" in imported, (
        "pulumi.dynamic.__main__ no longer imports empty_pb2: cancel.py's Cancel breaks"
    )
    assert [a.arg for a in cancel.args.args] == ["self", "request", "context"], (
        "DynamicResourceProviderServicer.Cancel changed its arguments: cancel.py no longer hooks it, and "
        "the first Ctrl-C waits for in-flight requests again"
    )
    assert "empty_pb2.Empty()" in ast.unparse(cancel), "Cancel no longer answers empty_pb2.Empty()"


def test_pooled_connections_still_use_our_deadline_socket(sddc_manager: SddcManagerEmulator) -> None:
    transport.close_pools()
    transport.send(
        sddc_manager.url,
        "GET",
        "/v1/sddc-managers",
        None,
        {},
        verify=True,
        ca_bundle=str(sddc_manager.ca_path),
        timeout_seconds=5,
    )

    pool = transport.connection_pool(sddc_manager.url, True, str(sddc_manager.ca_path))
    connection = pool.pool.get_nowait() if pool.pool else None
    assert connection is not None, "urllib3's pool no longer keeps its idle connections in `pool.pool`"
    assert isinstance(connection.sock, DeadlineSocket), (
        "urllib3 no longer wraps sockets with the SSLContext's sslsocket_class: the per-attempt deadline "
        "and the 'login may have been sent' record are gone"
    )
    assert isinstance(connection, DeadlineConnection), (
        "urllib3's pool no longer builds connections from `ConnectionCls`: the TCP connect no longer "
        "waits in slices, so a cancel is not seen while a firewall drops the SYN"
    )


def test_urllib3s_connection_error_text_still_parses_to_the_os_reason() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # nothing listens once it is closed

    with pytest.raises(transport.NetworkFailure) as caught:
        transport.send(
            f"https://127.0.0.1:{port}", "GET", "/", None, {}, verify=True, ca_bundle=None, timeout_seconds=5
        )

    assert caught.value.kind == "refused"
    assert caught.value.detail == "Connection refused", (
        "urllib3's NewConnectionError text changed: `transport._os_reason` no longer finds the OS's words"
    )


def test_unverified_requests_are_quiet_for_us_but_not_for_a_users_own_urllib3(
    sddc_manager: SddcManagerEmulator,
) -> None:
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        transport.send(
            sddc_manager.url,
            "GET",
            "/v1/sddc-managers",
            None,
            {},
            verify=False,
            ca_bundle=None,
            timeout_seconds=5,
        )
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        with urllib3.PoolManager(cert_reqs="CERT_NONE") as manager:
            manager.request("GET", sddc_manager.url + "/v1/sddc-managers")

    assert [w for w in ours if issubclass(w.category, InsecureRequestWarning)] == [], (
        "urllib3 changed HTTPSConnectionPool._validate_conn: UnverifiedPool no longer keeps it quiet"
    )
    assert any(issubclass(w.category, InsecureRequestWarning) for w in theirs), "a user's own warning stays"
