"""Runs one Pulumi Python program on behalf of the vcf-provider language host.

The language host starts this script with the program's interpreter; it wires
the Pulumi runtime to the engine, then runs the program as ``__main__``.
"""

import argparse
import asyncio
import logging
import os
import runpy
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor

try:
    import pulumi
    import pulumi.runtime
except ImportError:
    print(
        "The Pulumi Python SDK is not installed in the interpreter running this "
        f"program ({sys.executable}). Install it (pip install pulumi) into the "
        "virtualenv named in Pulumi.yaml and run again.",
        file=sys.stderr,
    )
    sys.exit(1)

# The engine reads this exit code as "the error was already reported".
ALREADY_REPORTED = 32


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Run a Pulumi Python program")
    for flag in (
        "monitor",
        "engine",
        "project",
        "stack",
        "organization",
        "root_directory",
        "pwd",
        "parallel",
        "dry_run",
    ):
        parser.add_argument("--" + flag)
    parser.add_argument("program")
    parser.add_argument("program_args", nargs="*")
    return parser.parse_args()


def main() -> int:
    args = parse_arguments()
    pulumi.runtime.set_all_config(
        pulumi.runtime.get_config_env(), pulumi.runtime.get_config_secret_keys_env()
    )
    settings = pulumi.runtime.Settings(
        monitor=args.monitor,
        engine=args.engine,
        project=args.project,
        stack=args.stack,
        parallel=int(args.parallel or 0),
        dry_run=args.dry_run == "true",
        organization=args.organization,
        root_directory=args.root_directory,
    )
    pulumi.runtime.configure(settings)

    sys.argv = [args.program, *args.program_args]
    if args.pwd:
        os.chdir(args.pwd)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # Outputs resolve on the loop's default executor: size it like the engine's parallelism.
    executor = ThreadPoolExecutor(max_workers=max(settings.parallel or 1, 1) * 4)
    loop.set_default_executor(executor)

    # Unfinished futures are normal when a deployment stops early; asyncio's complaints are noise.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)

    def run_program() -> None:
        runpy.run_path(args.program, run_name="__main__")

    exit_code = 1
    try:
        loop.run_until_complete(pulumi.runtime.run_in_stack(run_program))
        exit_code = 0
    except pulumi.RunError as error:
        if "Resource monitor has terminated" in str(error):
            # The engine stopped because a resource failed; it has shown that error already.
            exit_code = ALREADY_REPORTED
        else:
            pulumi.log.error(str(error))
    except Exception:  # noqa: BLE001 - every failure of the user's program is reported
        pulumi.log.error("Program failed with an unhandled exception:\n" + traceback.format_exc())
        exit_code = ALREADY_REPORTED
    finally:
        executor.shutdown(wait=True)
        loop.close()
        sys.stdout.flush()
        sys.stderr.flush()
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
