"""Each shared rule has one home, and every command that applies it agrees.

The order of kinds, peer review, a record's display name and quote verification were once
written in several modules and drifted; these tests hold the copies that remain callers of
the one definition to the same answers, and keep the definitions from being written again.
"""

from __future__ import annotations

import ast
import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ketakb import vocab
from ketakb.cli import app
from ketakb.output.export import fill_sqlite, load_kb
from ketakb.pipeline.validation import validate_kb
from ketakb.query.queries import KnowledgeBase
from ketakb.shapes import display_name
from ketakb.site.builder import _Builder
from tests.conftest import ARCHIVES, VALID_KB

PACKAGE = Path(__file__).parent.parent / "ketakb"
runner = CliRunner()


def _modules() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8")))
            for path in sorted(PACKAGE.rglob("*.py"))]


def test_the_kind_order_is_defined_once() -> None:
    """Only vocab names an order of kinds; the queries and the exports read it from there."""
    defined = [str(path.relative_to(PACKAGE))
               for path, tree in _modules() for node in ast.walk(tree)
               if isinstance(node, (ast.Assign, ast.AnnAssign))
               for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
               if isinstance(target, ast.Name) and "KIND_ORDER" in target.id]
    assert defined == ["vocab.py"]


def test_listings_and_exports_order_kinds_by_the_vocabulary() -> None:
    with KnowledgeBase.open(VALID_KB, use_cache=False) as kb:
        listed = list(dict.fromkeys(r["kind"] for r in kb.records()))
        counted = list(kb.stats()["records"])
    assert listed == [k for k in vocab.KIND_ORDER if k in listed]
    assert counted == list(vocab.KIND_ORDER)
    exported = list(dict.fromkeys(kind for kind, _ in load_kb(VALID_KB, use_cache=False).records))
    assert exported == [k for k in vocab.FOLDER_OF_KIND if k in exported]


def test_no_renderer_is_looked_up_by_name() -> None:
    """A renderer named by a string fails only when a user runs the command; called by name
    in the code, mypy checks it."""
    found = [f"{path.relative_to(PACKAGE)}:{node.lineno}"
             for path, tree in _modules() for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
             and node.func.id == "getattr" and isinstance(node.args[0], ast.Name)
             and node.args[0].id in {"render", "reporters", "export"}]
    assert found == []


def test_every_command_shows_a_record_by_one_display_name() -> None:
    """The index, the site and the sqlite export name each record as `display_name` does."""
    db = sqlite3.connect(":memory:")
    fill_sqlite(load_kb(VALID_KB, use_cache=False), db)
    exported = dict(db.execute("SELECT id, name FROM records").fetchall())
    with KnowledgeBase.open(VALID_KB, use_cache=False) as kb:
        records = kb.records()
        indexed = kb.names(r["id"] for r in records)
        site = _Builder(kb)
        expected = {r["id"]: display_name(r) for r in records}
        assert {ident: site.name(ident) for ident in expected} == expected
    assert indexed == expected and exported == expected
    assert any(r["kind"] == "source" for r in records)  # a title stands for the name too


def test_peer_review_is_one_rule_in_queries_and_exports() -> None:
    db = sqlite3.connect(":memory:")
    fill_sqlite(load_kb(VALID_KB, use_cache=False), db)
    peer_sources = {ident for (ident,) in
                    db.execute("SELECT id FROM sources WHERE peer_reviewed")}
    with KnowledgeBase.open(VALID_KB, use_cache=False) as kb:
        supported = {c["id"] for c in kb.claims(peer_reviewed=True)}
        expected = {c["id"] for c in kb.claims()
                    if any(e["stance"] == "supports" and e["source"] in peer_sources
                           for e in c["evidence"])}
        assert kb.stats()["claims"]["peer_reviewed"] == len(supported)
        assert supported == expected and 0 < len(supported) < len(kb.claims())


def test_stats_and_validate_verify_quotes_alike(tmp_path: Path) -> None:
    """One quote typed with straight quotes where the snapshot has curly ones (verified), one
    not in the snapshot at all: `stats` counts what `validate` reports as KB038."""
    kb = tmp_path / "kb"
    shutil.copytree(VALID_KB, kb)
    record = kb / "receptors" / "nmda-receptor.yaml"
    text = record.read_text(encoding="utf-8")
    record.write_text(text.replace("quote: Ketamine raises BDNF quickly",
                                   "quote: Ketamine raises BDNF slowly"), encoding="utf-8")
    report = validate_kb(kb, sources_dir=ARCHIVES, use_cache=False)
    not_found = [f for f in report.findings if f.code == "KB038"]
    with KnowledgeBase.open(kb, use_cache=False) as knowledge:
        quotes = knowledge.stats(ARCHIVES)["quotes"]
    assert len(not_found) == quotes["not_found"] == 1
    assert quotes["verified"] == quotes["archived"] - 1 >= 1
    result = runner.invoke(app, ["stats", "--kb", str(kb), "--sources-dir", str(ARCHIVES)])
    assert "1 verified in the archived texts, 1 not found" in result.stdout


def test_the_site_folder_gets_the_permissions_mkdir_would_give(tmp_path: Path) -> None:
    """The site is written through `atomic.atomic_folder` like every other writer: a new
    folder follows the umask (it was always 0755), a rebuilt one keeps its own mode."""
    import os

    from ketakb.site.builder import MARKER, write_site

    out = tmp_path / "site"
    old = os.umask(0o027)
    try:
        write_site({MARKER: b"", "index.html": b"<p>x</p>"}, out)
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o750
    out.chmod(0o711)
    write_site({MARKER: b"", "index.html": b"<p>y</p>"}, out)
    assert out.stat().st_mode & 0o777 == 0o711
    assert (out / "index.html").read_bytes() == b"<p>y</p>"
    assert [p.name for p in tmp_path.iterdir()] == ["site"]  # no staging folder left


def test_schema_files_are_written_atomically(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A schema that fails halfway through writing leaves the file it replaces whole."""
    import ketakb.authoring.schema

    out = tmp_path / "schemas"
    assert runner.invoke(app, ["schema", "--out", str(out)]).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    name = sorted(before)[0]
    monkeypatch.setattr(ketakb.authoring.schema, "schema_files",
                        lambda: {name: "{" + "x" * 100_000 + "\ud800"})  # not encodable
    assert runner.invoke(app, ["schema", "--out", str(out)]).exit_code != 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_format_without_a_writer_fails_on_import() -> None:
    """Every table from a format to its writer is built by `every_format`, which refuses one
    that leaves a member out: the module would not import, so no user meets the gap."""
    from ketakb.formats import ExportFormat, ReportFormat, every_format
    from ketakb.output.export import WRITERS
    from ketakb.output.reporters import REPORTERS

    assert set(REPORTERS) == set(ReportFormat) and set(WRITERS) == set(ExportFormat)
    with pytest.raises(ImportError, match="no writer for the ReportFormat github"):
        every_format(ReportFormat, {k: v for k, v in REPORTERS.items()
                                    if k is not ReportFormat.github})


def test_the_skeletons_name_the_vocabulary_in_its_order() -> None:
    """`ketakb new` spells the vocabulary out in comments (aligned by hand); they must say
    what vocab says: the source types, which of them are peer-reviewed, the statuses."""
    import re

    from ketakb.authoring.new import skeleton

    source = skeleton("source", "x")
    types = re.search(r"type: web-page +# (\S+)\n# +# (\S+);", source)
    assert types is not None
    assert (types[1] + types[2]).split("|") == list(vocab.SOURCE_TYPES)
    required = re.search(r"required for (.+)\n", source)
    assert required is not None
    assert required[1].split(", ") == [t for t in vocab.SOURCE_TYPES if vocab.peer_reviewed(t)]
    statuses = re.search(r"status: hypothesis +# (\S+)\n# +# ([a-z|]+);", skeleton("agent", "x"))
    assert statuses is not None
    assert (statuses[1] + statuses[2]).split("|") == list(vocab.STATUSES)
