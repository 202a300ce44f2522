"""`python -m vcf_provider.testing`: runs the SDDC Manager emulator until interrupted."""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import math
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from vcf_provider.testing.clock import check_skew
from vcf_provider.testing.emulator import (
    DEFAULT_PASSWORD,
    DEFAULT_REFRESH_TOKEN_LIFETIME_SECONDS,
    DEFAULT_USERNAME,
    SddcManagerEmulator,
)
from vcf_provider.testing.statedir import StateDirError


def _seconds(minimum: float, inclusive: bool) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
        if not math.isfinite(value) or value < minimum or (value == minimum and not inclusive):
            bound = f"{minimum:g} or more" if inclusive else f"above {minimum:g}"
            raise argparse.ArgumentTypeError(f"{text} must be {bound}")
        return value

    return parse


def _skew(text: str) -> float:
    try:
        return check_skew(float(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text} must be a finite number of seconds, at most 100 years (3155760000) either way"
        ) from None


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port from 0 to 65535 (0: any free port)")
    return int(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A local HTTPS SDDC Manager token API for tests and demos.")
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; ::1 for IPv6)"
    )
    parser.add_argument("--port", type=_port, default=0, help="port (default: any free port)")
    parser.add_argument(
        "--token-lifetime",
        type=_seconds(0, inclusive=False),
        default=3600,
        help="access token lifetime, seconds",
    )
    parser.add_argument(
        "--refresh-token-lifetime",
        type=_seconds(0, inclusive=False),
        default=DEFAULT_REFRESH_TOKEN_LIFETIME_SECONDS,
        help="refresh token lifetime, seconds (default 86400, as reported for SDDC Manager)",
    )
    parser.add_argument(
        "--latency", type=_seconds(0, inclusive=True), default=0.0, help="delay before every answer, seconds"
    )
    parser.add_argument(
        "--clock-offset",
        type=_skew,
        default=0.0,
        help="shift the tokens' iat/exp by this many seconds (an SDDC Manager whose clock is off)",
    )
    parser.add_argument(
        "--refresh-answer",
        choices=("json", "raw"),
        default="json",
        help="body of the refresh answer: 'json', a JSON string as the spec declares (default; what "
        "the official SDKs parse), or 'raw', the bare token text (what some servers send)",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        help="keep the CA, signing key, clock and refresh tokens here, so a restart on the same dir "
        "keeps working tokens and the same CA; one running emulator per dir (a second one is "
        "refused). Default: a temporary dir, removed on exit",
    )
    parser.add_argument(
        "--control",
        action="store_true",
        help="serve a control interface under /__emulator/ on the same port, for tests in other "
        'languages: GET clock, POST clock/advance {"seconds": N}, GET and DELETE requests, GET '
        "refresh-tokens, POST refresh-tokens/revoke-all and refresh-tokens/expire (no authentication: "
        "keep --host on loopback)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print url, ca_path and refresh_token (and control_url with --control) as JSON",
    )
    args = parser.parse_args(argv)
    # Stop cleanly (removing the temporary CA) on `kill` as on Ctrl-C.
    signal.signal(signal.SIGTERM, signal.default_int_handler)

    try:
        emulator = SddcManagerEmulator(
            host=args.host,
            port=args.port,
            token_lifetime_seconds=args.token_lifetime,
            refresh_token_lifetime_seconds=args.refresh_token_lifetime,
            latency_seconds=args.latency,
            state_dir=args.state_dir,
            clock_offset_seconds=args.clock_offset,
            refresh_answer=args.refresh_answer,
            control=args.control,
        )
    # Each one line, no traceback: what is wrong and with which dir, file or setting.
    except (ImportError, StateDirError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        reason = (
            "is in use" if error.errno == errno.EADDRINUSE else f"cannot be used ({error.strerror or error})"
        )
        print(
            f"error: {args.host} port {args.port} {reason}: pick another --port, or 0 for any free port",
            file=sys.stderr,
        )
        return 2
    # A stop (Ctrl-C, `kill`) at any moment from here ends cleanly: the emulator stops on the way out,
    # and the signal is not re-raised (a SIGTERM just after startup exited by SIGINT, code -2).
    with contextlib.suppress(KeyboardInterrupt), emulator:
        refresh_token = emulator.issue_refresh_token()
        if args.json:
            started = {"url": emulator.url, "ca_path": str(emulator.ca_path), "refresh_token": refresh_token}
            if emulator.control_url is not None:
                started["control_url"] = emulator.control_url
            print(json.dumps(started))
        else:
            print(f"SDDC Manager emulator at {emulator.url}")
            print(f"CA certificate:  {emulator.ca_path}")
            print(f"refresh token:   {refresh_token}")
            print(f"login:           {DEFAULT_USERNAME} / {DEFAULT_PASSWORD}")
            if emulator.control_url is not None:
                print(f"control:         {emulator.control_url}")
            print("Ctrl-C stops it.")
        sys.stdout.flush()
        threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
