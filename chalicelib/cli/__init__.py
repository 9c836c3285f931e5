"""`guichet`, the operator's command line (issue 16; docs/deploy.md, "Operator CLI").

An edge like app.py: it reads arguments, wires the application's adapters (chalicelib/bootstrap.py) to the stack it
is pointed at, calls services, and prints. The stack's resources come from `--stack NAME` (its CloudFormation
outputs and parameters) or else from the environment variables the Lambda functions read (TABLE_NAME,
USER_POOL_ID, VISITOR_SECRET_ID, ...). Each command is safe to run again: what exists is said and left alone.

Exit codes: 0 done (or nothing to do), 1 a check or an order failed, 2 bad input (the field is named).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from chalicelib.domain.errors import DomainError

EXIT_OK, EXIT_FAILED, EXIT_INPUT = 0, 1, 2


def parser() -> argparse.ArgumentParser:
    from chalicelib.cli import accounts, config, doctor, phone

    top = argparse.ArgumentParser(
        prog="guichet", description="Operate a Guichet deployment: tenants, their first admin, secrets, calling "
        "numbers, configuration transfer and health checks. See docs/deploy.md.")
    top.add_argument("--stack", metavar="NAME", help="the CloudFormation stack to act on (its outputs name the "
                     "table, pool, secret and queues); default: the environment variables TABLE_NAME, USER_POOL_ID, "
                     "VISITOR_SECRET_ID, ... as the Lambda functions read them")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    accounts.add_commands(commands)
    config.add_commands(commands)
    phone.add_commands(commands)
    doctor.add_commands(commands)
    return top


def command_group(commands: Any, name: str, summary: str) -> Any:
    """`guichet NAME ACTION ...`: a command whose actions (`tenant create`, `phone order`) are added to what this
    returns with add_parser; one of them is required."""
    return commands.add_parser(name, help=summary).add_subparsers(dest="action", required=True, metavar="ACTION")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns its exit code (the console script exits with it)."""
    arguments = parser().parse_args(argv)
    try:
        if arguments.stack:
            use_stack(arguments.stack)
        return int(arguments.run(arguments))
    except DomainError as error:
        field = f"{error.field}: " if error.field else ""
        print(f"error: {field}{error}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        return EXIT_FAILED


def use_stack(stack: str) -> None:
    """Point the application's adapters at a deployed stack's resources."""
    from chalicelib import bootstrap
    from chalicelib.adapters.operator_aws import stack_environment
    from chalicelib.settings import settings

    os.environ.update(stack_environment(stack))
    settings.cache_clear()
    bootstrap.reset()


def run() -> None:
    """The console script's entry point."""
    sys.exit(main())
