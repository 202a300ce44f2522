"""`python -m vcf_provider.testing`: runs the SDDC Manager emulator until interrupted."""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
from pathlib import Path

from vcf_provider.testing.emulator import DEFAULT_PASSWORD, DEFAULT_USERNAME, SddcManagerEmulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A local HTTPS SDDC Manager token API for tests and demos.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    parser.add_argument("--token-lifetime", type=float, default=3600, help="access token lifetime, seconds")
    parser.add_argument("--latency", type=float, default=0.0, help="delay before every answer, seconds")
    parser.add_argument("--state-dir", type=Path, help="where to write the CA (default: a temporary dir)")
    parser.add_argument("--json", action="store_true", help="print url, ca_path and refresh_token as JSON")
    args = parser.parse_args(argv)
    # Stop cleanly (removing the temporary CA) on `kill` as on Ctrl-C.
    signal.signal(signal.SIGTERM, signal.default_int_handler)

    emulator = SddcManagerEmulator(
        host=args.host,
        port=args.port,
        token_lifetime_seconds=args.token_lifetime,
        latency_seconds=args.latency,
        state_dir=args.state_dir,
    )
    with emulator:
        refresh_token = emulator.issue_refresh_token()
        if args.json:
            print(
                json.dumps(
                    {"url": emulator.url, "ca_path": str(emulator.ca_path), "refresh_token": refresh_token}
                )
            )
        else:
            print(f"SDDC Manager emulator at {emulator.url}")
            print(f"CA certificate:  {emulator.ca_path}")
            print(f"refresh token:   {refresh_token}")
            print(f"login:           {DEFAULT_USERNAME} / {DEFAULT_PASSWORD}")
            print("Ctrl-C stops it.")
        sys.stdout.flush()
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
