"""The README is true: every ```console example prints what it shows, every ```sql example runs
against a real SQLite export of the bundled KB and returns what its comment promises.

A console block is one or more `$ ketakb …` lines, each followed by its output (standard output
and standard error as a terminal interleaves them, in the plain form a pipe gets). When the KB
or a renderer changes, refresh every console block at once with

    python -m tests.test_readme

and review the diff, or paste the output a failing test prints.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ketakb import KB_ENV, bundled_kb, vocab
from ketakb.cli import app

README = Path(__file__).resolve().parent.parent / "README.md"
CONSOLE = re.compile(r"```console\n(.*?)```", flags=re.DOTALL)
PROMPT = "$ "
REFRESH = "python -m tests.test_readme"


def examples(block: str) -> list[tuple[str, str]]:
    """(command, expected output) for each `$ ` line of a console block, in order."""
    lines = block.splitlines(keepends=True)
    if not lines or not lines[0].startswith(PROMPT + "ketakb "):
        raise ValueError(f"a console block must start with '{PROMPT}ketakb …': {block[:60]!r}")
    found: list[tuple[str, str]] = []
    for line in lines:
        if line.startswith(PROMPT):
            found.append((line[len(PROMPT):].rstrip("\n"), ""))
        else:
            command, output = found[-1]
            found[-1] = (command, output + line)
    return found


def run(command: str) -> str:
    """What `command` prints against the bundled KB, uncoloured, as when piped."""
    words = shlex.split(command)
    assert words[0] == "ketakb", command
    result = CliRunner().invoke(app, words[1:], env={KB_ENV: str(bundled_kb()), "NO_COLOR": "1"})
    assert result.exit_code in (0, 1), f"`{command}` failed:\n{result.output}"
    return result.output


def refreshed(text: str) -> str:
    """`text` with the output under every console command replaced by the real output."""
    def block(match: re.Match[str]) -> str:
        body = "".join(f"{PROMPT}{cmd}\n{run(cmd)}" for cmd, _ in examples(match.group(1)))
        return f"```console\n{body}```"

    return CONSOLE.sub(block, text)


def readme_examples() -> list[tuple[str, str]]:
    blocks = CONSOLE.findall(README.read_text(encoding="utf-8"))
    return [example for block in blocks for example in examples(block)]


@pytest.fixture(scope="module")
def module_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def shared_cache(module_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One index cache for this module's runs of the bundled KB: built once, not per test."""
    monkeypatch.setenv("KETAKB_CACHE_DIR", str(module_cache))


def test_the_readme_has_console_examples() -> None:
    commands = [command for command, _ in readme_examples()]
    assert len(commands) >= 6
    assert {"show", "search", "claims", "explain", "cite"} <= {c.split()[1] for c in commands}


@pytest.mark.parametrize(("command", "expected"), readme_examples(),
                         ids=[command for command, _ in readme_examples()])
@pytest.mark.usefixtures("shared_cache")
def test_console_example_prints_what_the_readme_shows(command: str, expected: str) -> None:
    actual = run(command)
    assert actual == expected, (
        f"README's `{command}` example is out of step with the real output; refresh every "
        f"console block with `{REFRESH}`, or paste this under the command:\n{actual}")


@pytest.mark.usefixtures("shared_cache")
def test_refresh_rewrites_stale_output_and_keeps_the_rest() -> None:
    stale = ("Before.\n\n```console\n$ ketakb show trkb\nTrkB, as it once was\n"
             "$ ketakb show nmda recepter\n```\n\nAfter.\n")
    assert refreshed(stale) == (
        "Before.\n\n```console\n$ ketakb show trkb\n" + run("ketakb show trkb")
        + "$ ketakb show nmda recepter\n" + run("ketakb show nmda recepter")
        + "```\n\nAfter.\n")


def test_a_console_block_without_a_command_is_refused() -> None:
    with pytest.raises(ValueError, match="must start with"):
        examples("TrkB (BDNF receptor)  trkb · receptor\n")


@pytest.fixture(scope="module")
def export_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    """The bundled KB exported as the README tells (`ketakb export -f sqlite -o kb.sqlite`)."""
    path = tmp_path_factory.mktemp("export") / "kb.sqlite"
    result = CliRunner().invoke(app, ["export", "-f", "sqlite", "-o", str(path),
                                      "--kb", str(bundled_kb())])
    assert result.exit_code == 0, result.output
    connection = sqlite3.connect(path)
    yield connection
    connection.close()


def sql_examples() -> dict[str, str]:
    """Each ```sql block of the README, keyed by its leading `-- comment`."""
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```sql\n-- (.*?)\n(.*?)```", text, flags=re.DOTALL)
    return {comment: query for comment, query in blocks}


def test_the_readme_has_sql_examples() -> None:
    assert len(sql_examples()) >= 4


@pytest.mark.parametrize("comment", sql_examples())
def test_sql_example_returns_rows(export_db: sqlite3.Connection, comment: str) -> None:
    assert export_db.execute(sql_examples()[comment]).fetchall(), f"no rows for: {comment}"


def test_strongest_status_first_orders_by_strength(export_db: sqlite3.Connection) -> None:
    query = next(q for c, q in sql_examples().items() if "strongest status first" in c)
    statuses = [row[-1] for row in export_db.execute(query)]
    rank = list(vocab.STATUSES)
    assert statuses[0] == "established"
    assert statuses == sorted(statuses, key=rank.index), statuses
    assert len(set(statuses)) >= 3  # several statuses, so the order is really checked


def with_python_example_output(text: str) -> str:
    """`text` with the "Use from Python" example's ```text block replaced by what the example
    prints (run as `tests.test_api` runs it: from a clone, on the bundled KB)."""
    from tests.test_api import readme_example

    code, shown = readme_example()
    printed = io.StringIO()
    here = os.getcwd()
    os.chdir(bundled_kb().parent)
    try:
        with contextlib.redirect_stdout(printed):
            exec(compile(code, str(README), "exec"), {"__name__": "readme_example"})
    finally:
        os.chdir(here)
    return text.replace(f"```text\n{shown}```", f"```text\n{printed.getvalue()}```", 1)


if __name__ == "__main__":
    README.write_text(with_python_example_output(refreshed(README.read_text(encoding="utf-8"))),
                      encoding="utf-8")
    sys.stdout.write(f"refreshed the console blocks and the Python example's output of {README};"
                     " review with git diff\n")
