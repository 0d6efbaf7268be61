"""`switchboard`: the command line, its options, and how each outcome becomes an exit code
(switchboard_cli/errors.py; docs/cli.md)."""

import argparse
import os
from collections.abc import Sequence

import httpx

from switchboard_cli import agents, lifecycle, pull, push, runs
from switchboard_cli.client import Api
from switchboard_cli.errors import INTERRUPTED, CliError
from switchboard_cli.output import Output

URL_VARIABLE = "SWITCHBOARD_URL"
TOKEN_VARIABLE = "SWITCHBOARD_TOKEN"

DESCRIPTION = """\
Manage Switchboard's voice agents from a terminal or a CI job: list them, deploy them, roll
them back, run their tests, and keep them (and their tests) as code in the ElevenLabs CLI's
project layout."""

EPILOG = f"""\
The server and the credentials come from {URL_VARIABLE} and {TOKEN_VARIABLE} (or --url
and --token). Exit codes: 0 done; 1 the lifecycle refused (a gate is closed, the move is
not allowed) or the tests failed; 2 anything else failed (usage, credentials, input,
server, network; a test run that errored, was cancelled or timed out)."""


def main(argv: Sequence[str] | None = None, *, transport: httpx.BaseTransport | None = None) -> int:
    """Run one command; its exit code. `transport` replaces the network (tests)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:  # argparse: --help is 0, a usage error 2 (its message printed)
        return exit.code if isinstance(exit.code, int) else 2
    out = Output(as_json=args.json)
    api = None
    try:
        url, token = _setting(args.url, URL_VARIABLE), _setting(args.token, TOKEN_VARIABLE)
        api = Api(url, token, transport=transport, on_retry=out.note)
        exit_code: int = args.run(args, api, out)
        return exit_code
    except CliError as error:
        out.error(error.message, body=error.as_json())
        return error.exit_code
    except KeyboardInterrupt:
        out.error("Interrupted.")
        return INTERRUPTED
    finally:
        out.finish()
        if api is not None:
            api.close()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="switchboard",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_connection_options(parser, default=None)
    # The same options after the command, too: `switchboard agents list --json`.
    common = argparse.ArgumentParser(add_help=False)
    _add_connection_options(common, default=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    agents.add_commands(commands, common)
    lifecycle.add_commands(commands, common)
    pull.add_command(commands, common)
    push.add_command(commands, common)
    runs.add_command(commands, common)
    return parser


def _add_connection_options(parser: argparse.ArgumentParser, *, default: object) -> None:
    parser.add_argument(
        "--url", default=default, help=f"the server, such as http://127.0.0.1:8000 ({URL_VARIABLE})"
    )
    parser.add_argument(
        "--token",
        default=default,
        help=f"an API token ({TOKEN_VARIABLE}; the variable keeps it out of process lists)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        default=default if default is argparse.SUPPRESS else False,
        help="print the API's JSON instead of lines for people",
    )


def _setting(given: str | None, variable: str) -> str:
    value = given or os.environ.get(variable, "")
    if not value.strip():
        option = "--" + variable.removeprefix("SWITCHBOARD_").lower()
        raise CliError(f"Set {variable} (or give {option}): the command needs it.")
    return value.strip()
