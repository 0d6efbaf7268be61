"""Progress shows on a terminal only, and is wiped before anything else is printed."""

import io

from switchboard_cli.output import Output


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_on_a_terminal_and_is_wiped_before_the_result():
    stdout, stderr = io.StringIO(), Terminal()
    out = Output(as_json=False, stdout=stdout, stderr=stderr)

    out.progress("Pushing agent 1 of 2…")
    out.line("agent_configs/A.json: unchanged (agent 1)")
    out.finish()

    assert stderr.getvalue() == "\r\x1b[KPushing agent 1 of 2…\r\x1b[K"
    assert stdout.getvalue() == "agent_configs/A.json: unchanged (agent 1)\n"


def test_no_progress_in_a_pipe():
    stdout, stderr = io.StringIO(), io.StringIO()
    out = Output(as_json=False, stdout=stdout, stderr=stderr)

    out.progress("Pushing agent 1 of 2…")
    out.finish()

    assert stderr.getvalue() == ""


def test_json_mode_prints_one_document_and_no_lines():
    stdout = io.StringIO()
    out = Output(as_json=True, stdout=stdout, stderr=io.StringIO())

    out.line("for people")
    out.document({"agents": []})

    assert stdout.getvalue() == '{\n  "agents": []\n}\n'
