"""Run the sandbox on its own: `python -m sandbox --host 127.0.0.1 --port 8765`.

Prints the base URL to point an ElevenLabs client at, and the key to give it (SANDBOX_API_KEY,
or one made up for this run), then serves with Daphne until stopped.
"""

import argparse
import os

from daphne.cli import CommandLineInterface


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--state-file",
        help="keep the agents and conversations in this JSON file across restarts "
        "(SANDBOX_STATE_FILE; default: in memory only)",
    )
    arguments = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.standalone_settings")
    if arguments.state_file:
        os.environ["SANDBOX_STATE_FILE"] = arguments.state_file
    # Loaded before the URL is printed, so a bad setting stops us first.
    from sandbox import asgi, routing  # noqa: F401
    from sandbox.store import store

    base_url = f"http://{arguments.host}:{arguments.port}/{routing.PREFIX.rstrip('/')}"
    print(f"ElevenLabs sandbox at {base_url}", flush=True)
    if not os.environ.get("SANDBOX_API_KEY"):
        # Made up for this run: whoever started it may see it, nobody else.
        print(f"xi-api-key: {store.settings.api_key}", flush=True)
    CommandLineInterface().run(
        ["--bind", arguments.host, "--port", str(arguments.port), "sandbox.asgi:application"]
    )


if __name__ == "__main__":
    main()
