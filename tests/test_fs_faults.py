"""Faults of the file system: link loops, names that are not UTF-8, FIFOs, links leaving the
KB and read-only files under `fmt`, and a byte order mark before the modeline.

Links, FIFOs and such names cannot be committed to the invalid corpus, so each is made here.
Every fault must end in a finding (or a `fmt` result) on its own path, never an internal
error, a hang, or a file written outside the KB.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import typing
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ketakb import atomic
from ketakb.authoring import new
from ketakb.authoring.fmt import CHANGED, SKIPPED, UNCHANGED, format_paths
from ketakb.cli import app
from ketakb.pipeline.validation import validate_kb
from tests.conftest import ARCHIVES

runner = CliRunner()
AGENT = "id: foo\nname: Foo\nsummary: x\nsynonyms: [b, a]\n"  # valid, not canonical
CANONICAL_AGENT = "id: foo\nname: Foo\nsynonyms: [a, b]\nsummary: x\n"


def places(kb: Path, findings: typing.Iterable[typing.Any]) -> list[tuple[str, str]]:
    return sorted((Path(os.path.abspath(f.file)).relative_to(kb.absolute()).as_posix(), f.code)
                  for f in findings)


def invoke(*args: str) -> typing.Any:
    result = runner.invoke(app, list(args))
    assert "internal error" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


# -- validate: links in a loop ----------------------------------------------------------


def test_record_links_in_a_loop_are_findings(kb_copy: Path) -> None:
    agents = kb_copy / "agents"
    os.symlink("loop.yaml", agents / "loop.yaml")  # a link to itself
    os.symlink("b.yaml", agents / "a.yaml")  # and a circle of two
    os.symlink("a.yaml", agents / "b.yaml")
    report = validate_kb(kb_copy, sources_dir=ARCHIVES)
    assert places(kb_copy, report.findings) == [
        ("agents/a.yaml", "KB012"), ("agents/b.yaml", "KB012"), ("agents/loop.yaml", "KB012")]
    assert "cannot follow the symbolic link" in report.findings[0].message
    assert report.records == 7
    assert invoke("validate", str(kb_copy)).exit_code == 1


def test_folder_links_in_a_loop_are_findings(kb_copy: Path) -> None:
    shutil.rmtree(kb_copy / "effects")
    os.symlink("effects", kb_copy / "effects")  # a kind folder linking to itself
    os.symlink("elsewhere", kb_copy / "elsewhere")  # and any other folder
    report = validate_kb(kb_copy)
    assert [(place, code) for place, code in places(kb_copy, report.findings)
            if code != "KB032"] == [("effects", "KB012"), ("elsewhere", "KB012")]
    assert invoke("validate", str(kb_copy)).exit_code == 1


# -- validate: names that are not UTF-8 ---------------------------------------------------


def _make_undecodable(parent: Path, name: bytes, *, folder: bool = False) -> Path:
    path = Path(os.fsdecode(os.path.join(os.fsencode(parent), name)))
    try:
        if folder:
            path.mkdir()
        else:
            path.write_text(AGENT, encoding="utf-8")
    except OSError:  # a file system that stores only UTF-8 names cannot hold the case
        pytest.skip("this file system refuses names that are not UTF-8")
    return path


def test_names_that_are_not_utf8_are_findings(kb_copy: Path) -> None:
    _make_undecodable(kb_copy / "agents", b"f\xffoo.yaml")
    _make_undecodable(kb_copy, b"\xfe", folder=True)
    report = validate_kb(kb_copy, sources_dir=ARCHIVES)
    assert places(kb_copy, report.findings) == [("\\xfe", "KB010"),
                                                ("agents/f\\xffoo.yaml", "KB010")]
    assert report.records == 7
    result = invoke("validate", str(kb_copy), "--format", "json")
    assert result.exit_code == 1
    files = [f["file"] for f in json.loads(result.stdout)["findings"]]
    assert sorted(name.rsplit("/", 1)[-1] for name in files) == ["\\xfe", "f\\xffoo.yaml"]


def test_a_kb_folder_named_in_another_encoding_is_checked(kb_copy: Path) -> None:
    """A Latin-1 home folder, say: its name reaches the cache and every finding's path."""
    kb = _make_undecodable(kb_copy.parent, b"kb-\xe9", folder=True)
    kb.rmdir()
    kb_copy.rename(kb)
    (kb / "agents" / "foo.yaml").write_text(AGENT.replace("id: foo", "id: bar"),
                                           encoding="utf-8")
    for cache in ([], ["--no-cache"], []):
        result = invoke("validate", str(kb), "--format", "json", *cache)
        assert result.exit_code == 1
        findings = json.loads(result.stdout)["findings"]
        assert {f["code"] for f in findings} == {"KB030", "KB051"}
        assert all(f["file"].endswith("kb-\\xe9/agents/foo.yaml") for f in findings)


def test_a_sources_dir_named_in_another_encoding_is_a_usage_error(kb_copy: Path) -> None:
    sources = _make_undecodable(kb_copy.parent, b"archives-\xe9", folder=True)
    result = invoke("validate", str(kb_copy), "--sources-dir", str(sources))
    assert result.exit_code == 2
    assert "archives-\\xe9' is not a valid UTF-8 path" in result.output


# -- validate and stats: a FIFO as an archive --------------------------------------------


def test_an_archive_that_is_a_fifo_does_not_hang(kb_copy: Path, tmp_path: Path) -> None:
    """Opening a FIFO for reading waits for a writer: without a guard this never returns."""
    sources = tmp_path / "archives"
    sources.mkdir()
    os.mkfifo(sources / "clinic-post.txt")
    command = [sys.executable, "-m", "ketakb"]
    validate = subprocess.run([*command, "validate", str(kb_copy), "--sources-dir",
                               str(sources)], capture_output=True, text=True, timeout=60,
                              check=False)
    assert validate.returncode == 1, validate.stderr
    assert "clinic-post.yaml:7:10: KB039 archive 'clinic-post.txt'" in validate.stdout
    stats = subprocess.run([*command, "stats", "--kb", str(kb_copy), "--sources-dir",
                            str(sources), "--format", "json"], capture_output=True, text=True,
                           timeout=60, check=False)
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["quotes"]["verified"] == 0


# -- fmt: links ----------------------------------------------------------------------------


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A record file outside the KB, linked from kb/agents/foo.yaml."""
    folder = tmp_path / "elsewhere" / "agents"
    folder.mkdir(parents=True)
    (folder / "foo.yaml").write_text(AGENT, encoding="utf-8")
    return folder / "foo.yaml"


@pytest.mark.parametrize("named", [".", "agents", "agents/foo.yaml"])
def test_fmt_never_follows_a_link_leaving_the_kb(kb_copy: Path, outside: Path,
                                                  named: str) -> None:
    link = kb_copy / "agents" / "foo.yaml"
    os.symlink(outside, link)
    results = format_paths([kb_copy / named], check=False)
    [refused] = [r for r in results if r.outcome == SKIPPED]
    assert Path(refused.display) == link
    assert refused.reason.startswith("KB011 symbolic link leads outside the KB")
    assert link.is_symlink() and outside.read_text(encoding="utf-8") == AGENT
    assert (named == "agents/foo.yaml") == (len(results) == 1)


@pytest.mark.parametrize("named", [".", "agents", "agents/foo.yaml"])
def test_fmt_never_follows_a_kind_folder_leaving_the_kb(kb_copy: Path, outside: Path,
                                                         named: str) -> None:
    shutil.rmtree(kb_copy / "agents")
    os.symlink(outside.parent, kb_copy / "agents")
    results = format_paths([kb_copy / named], check=False)
    assert [(Path(r.display), r.reason.split(" ", 1)[0]) for r in results
            if r.outcome == SKIPPED] == [(kb_copy / "agents", "KB011")]
    assert outside.read_text(encoding="utf-8") == AGENT


@pytest.mark.parametrize("named", [".", "agents", "agents/foo.yaml"])
def test_fmt_formats_the_target_of_a_link_inside_the_kb(kb_copy: Path, named: str) -> None:
    """The link stays a link; the file it leads to is formatted, once."""
    (kb_copy / "stash").mkdir()
    target = kb_copy / "stash" / "foo.yaml"
    target.write_text(AGENT, encoding="utf-8")
    link = kb_copy / "agents" / "foo.yaml"
    os.symlink(Path("..") / "stash" / "foo.yaml", link)
    results = format_paths([kb_copy / named, kb_copy / "agents" / "foo.yaml"], check=False)
    assert [r.outcome for r in results if r.display.endswith("foo.yaml")] == [CHANGED]
    assert link.is_symlink() and target.read_text(encoding="utf-8") == CANONICAL_AGENT


def test_fmt_reports_links_in_a_loop(kb_copy: Path) -> None:
    os.symlink("loop.yaml", kb_copy / "agents" / "loop.yaml")
    for named in (kb_copy, kb_copy / "agents", kb_copy / "agents" / "loop.yaml"):
        [refused] = [r for r in format_paths([named], check=True) if r.outcome == SKIPPED]
        assert refused.reason.startswith("KB012 cannot follow the symbolic link")
    assert invoke("fmt", str(kb_copy / "agents" / "loop.yaml")).exit_code == 1


# -- fmt: read-only files and folders -----------------------------------------------------


def test_fmt_in_a_read_only_folder_reports_each_file(kb_copy: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Root may write anywhere, so the refusal of a read-only folder is simulated."""
    def refuse(*args: typing.Any, **kwargs: typing.Any) -> typing.NoReturn:
        raise PermissionError(13, "Permission denied")

    changing = {r.display for r in format_paths([kb_copy], check=True) if r.outcome == CHANGED}
    assert changing  # the fixture KB is not canonical
    monkeypatch.setattr(atomic.tempfile, "mkstemp", refuse)
    before = {p: p.read_bytes() for p in kb_copy.rglob("*.yaml")}
    result = invoke("fmt", str(kb_copy))
    assert result.exit_code == 1
    suffix = ": left alone: cannot write the file: Permission denied"
    assert {line.removesuffix(suffix) for line in result.output.splitlines()
            if line.endswith(suffix)} == changing  # each file fmt would change, by name
    assert {p: p.read_bytes() for p in kb_copy.rglob("*.yaml")} == before


def test_fmt_leaves_a_read_only_file_alone(kb_copy: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Renaming over a read-only file works in a writable folder; fmt must not do it."""
    path = kb_copy / "agents" / "ketamine.yaml"
    real_access = os.access

    def access(file: typing.Any, mode: int, **kwargs: typing.Any) -> bool:
        if mode == os.W_OK and Path(file) == path.resolve():  # as if chmod a-w
            return False
        return real_access(file, mode, **kwargs)

    monkeypatch.setattr(os, "access", access)
    before = path.read_bytes()
    [result] = format_paths([path], check=False)
    assert (result.outcome, result.reason) == (SKIPPED,
                                               "cannot write the file: Permission denied")
    assert path.read_bytes() == before


# -- fmt: a byte order mark before the modeline -------------------------------------------


def test_fmt_takes_a_modeline_after_a_byte_order_mark(kb_copy: Path) -> None:
    path = kb_copy / "agents" / "foo.yaml"
    modeline = new.modeline("agent")
    path.write_bytes(b"\xef\xbb\xbf" + (modeline + "\n" + AGENT).encode("utf-8"))
    assert [r.outcome for r in format_paths([path], check=True)] == [CHANGED]
    assert invoke("fmt", str(path)).exit_code == 0
    assert path.read_text(encoding="utf-8") == modeline + "\n" + CANONICAL_AGENT
    assert [r.outcome for r in format_paths([path], check=True)] == [UNCHANGED]
