"""Re-validation recomputes only the cross-record findings a change can affect, and that
never changes a result: after every edit in a long random series, `validate` with the cache
reports exactly what a run without it reports."""

from __future__ import annotations

import random
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from ketakb import vocab
from ketakb.pipeline.build import update
from ketakb.pipeline.scope import CrossScope
from ketakb.pipeline.store import Store
from ketakb.pipeline.validation import validate_kb

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import generate

#: The lines of a record whose value names an id: what edits to the KB's graph change.
ID_LINE = re.compile(r"^(\s*-?\s*(?:id|subject|object|source|indication|successor|supersedes"
                     r"|study|by): )(\S+)$", re.MULTILINE)
#: A source's design, and the status of its standing: what the certainty of the claims
#: citing it is computed from.
DESIGN = re.compile(r"^(design: )(\S+)$", re.MULTILINE)
STANDING = re.compile(r"^(standing:\n  status: )(\S+)$", re.MULTILINE)
STATUS = re.compile(r"^(?<!standing:\n)(\s*status: )(\S+)$", re.MULTILINE)  # a claim's
STATUSES = ("established", "supported", "contested", "refuted", "outdated", "unsupported",
            "hypothesis")


class Editor:
    """Seeded random edits of every kind a curator makes, good and bad."""

    def __init__(self, root: Path, archives: Path, seed: int, *, breaks: bool) -> None:
        self.root, self.archives, self.breaks = root, archives, breaks
        self.rng = random.Random(seed)
        self.originals = {p: p.read_bytes() for p in [*root.glob("*/*.yaml"),
                                                       *archives.iterdir()]}
        self.ids = sorted({m.group(2) for p in root.glob("*/*.yaml")
                           for m in ID_LINE.finditer(p.read_text(encoding="utf-8",
                                                                 errors="replace"))})

    def records(self) -> list[Path]:
        return sorted(self.root.glob("*/*.yaml"))

    def edit(self) -> str:
        rng = self.rng
        victim = rng.choice(self.records())
        text = victim.read_text(encoding="utf-8", errors="replace")
        action = rng.choice(["reference", "reference", "reference", "status", "delete",
                             "restore", "copy", "move", "snapshot", "touch", "design",
                             "standing", "succession",
                             *(["break"] if self.breaks else [])])
        if action == "reference" and (lines := list(ID_LINE.finditer(text))):
            line = rng.choice(lines)
            new = rng.choice([*self.ids, "nowhere-at-all"])
            victim.write_text(text[:line.start(2)] + new + text[line.end(2):], encoding="utf-8")
        elif action == "status" and (lines := list(STATUS.finditer(text))):
            line = rng.choice(lines)
            victim.write_text(text[:line.start(2)] + rng.choice(STATUSES) + text[line.end(2):],
                              encoding="utf-8")
        elif action == "design" and (found := DESIGN.search(text)):
            victim.write_text(text[:found.start(2)] + rng.choice(sorted(vocab.DESIGNS))
                              + text[found.end(2):], encoding="utf-8")
        elif action == "standing" and "\ndesign: " in text:
            status = rng.choice(sorted(vocab.STANDINGS))
            by = f"\n  by: {rng.choice(self.ids)}" if status == "superseded" else ""
            if found := STANDING.search(text):
                victim.write_text(text[:found.start(2)] + status + by + text[found.end(2):],
                                  encoding="utf-8")
            else:
                victim.write_text(f"{text}standing:\n  status: {status}{by}\n",
                                  encoding="utf-8")
        elif action == "succession" and (lines := list(STATUS.finditer(text))):
            line = rng.choice(lines)  # a claim's status line: name a successor after it
            field = rng.choice(["successor", "supersedes"])
            indent = line.group(1)[:-len("status: ")].lstrip("\n")
            victim.write_text(f"{text[:line.end(2)]}\n{indent}{field}: {rng.choice(self.ids)}"
                              f"{text[line.end(2):]}", encoding="utf-8")
        elif action == "delete":
            victim.unlink()
        elif action == "restore":
            path, raw = rng.choice(sorted(self.originals.items()))
            path.write_bytes(raw)
        elif action == "copy":
            shutil.copy(victim, victim.with_name(f"copy-{rng.randrange(5)}.yaml"))
        elif action == "move":
            folder = rng.choice(sorted(p for p in self.root.iterdir() if p.is_dir()))
            victim.rename(folder / victim.name)
        elif action == "break":
            victim.write_text(text + "\n  : [unclosed\n", encoding="utf-8")
        elif action == "snapshot":
            snapshot = rng.choice(sorted(self.archives.iterdir()))
            if rng.random() < 0.5:
                snapshot.write_text(snapshot.read_text(encoding="utf-8")[:200], encoding="utf-8")
            else:
                snapshot.unlink()
        else:
            victim.write_text(text + "# touched\n", encoding="utf-8")
        return f"{action} {victim.name}"


def _all(root: Path, archives: Path, use_cache: bool) -> list[tuple[object, ...]]:
    report = validate_kb(root, sources_dir=archives, use_cache=use_cache)
    return [(f.file, f.line, f.column, f.code, f.message, f.hint, f.loc) for f in report.findings]


@pytest.mark.parametrize(("seed", "errors"), [(1, 20), (2, 20), (3, 0), (4, 0)])
def test_cached_revalidation_equals_a_full_run(tmp_path: Path, seed: int, errors: int,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """With planted errors (broken files among them) and without (then unused records and
    sources are reported too, and no edit breaks a file)."""
    generate.generate(80, tmp_path / "g", errors=errors, seed=seed)
    root, archives = tmp_path / "g" / "kb", tmp_path / "g" / "archives"
    scoped: list[bool] = []
    real_scope = CrossScope.decide

    def counting(self: CrossScope, settings: str, changed_ids: list[str]) -> bool:
        scoped.append(real_scope(self, settings, changed_ids))
        return scoped[-1]

    monkeypatch.setattr(CrossScope, "decide", counting)
    editor = Editor(root, archives, seed, breaks=bool(errors))
    assert _all(root, archives, True) == _all(root, archives, False)
    history = []
    for step in range(40):
        history.append(editor.edit())
        if step % 7 == 3:  # a query refreshes the index between two validations
            store = Store.open(root)
            update(store)
            store.close()
        assert _all(root, archives, True) == _all(root, archives, False), history
    assert sum(scoped) >= 15  # most runs were scoped, and still agreed


def test_a_clean_fix_clears_kept_findings(tmp_path: Path) -> None:
    """A finding kept from earlier goes away once the file it depended on is fixed."""
    generate.generate(120, tmp_path / "g")
    root, archives = tmp_path / "g" / "kb", tmp_path / "g" / "archives"
    nmda = root / "receptors" / "nmda-receptor.yaml"
    original = nmda.read_bytes()
    assert validate_kb(root, sources_dir=archives).ok(strict=True)
    nmda.unlink()  # every claim on the NMDA receptor now names a missing record
    broken = validate_kb(root, sources_dir=archives)
    assert {f.code for f in broken.findings} >= {"KB032"}
    nmda.write_bytes(original)
    assert validate_kb(root, sources_dir=archives).ok(strict=True)


@pytest.fixture
def clean(tmp_path: Path) -> tuple[Path, Path]:
    """A generated KB without errors, validated once (so the next run is scoped)."""
    generate.generate(120, tmp_path / "g")
    root, archives = tmp_path / "g" / "kb", tmp_path / "g" / "archives"
    assert validate_kb(root, sources_dir=archives).ok(strict=True)
    return root, archives


def _agree(root: Path, archives: Path) -> list[str]:
    cached = _all(root, archives, True)
    assert cached == _all(root, archives, False)
    return [str(finding[3]) for finding in cached]


def _record(path: Path) -> dict[str, Any]:
    value: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return value


def _write(path: Path, record: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump(record, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")


def test_a_new_reference_clears_an_unused_record_elsewhere(clean: tuple[Path, Path]) -> None:
    """KB051 of an unchanged file depends on the claims in other files that name it."""
    root, archives = clean
    _write(root / "conditions" / "lonely.yaml", {"id": "lonely", "name": "Lonely", "summary": "s"})
    assert _agree(root, archives) == ["KB051"]
    ketamine = root / "agents" / "ketamine.yaml"
    record = _record(ketamine)
    claim = next(c for c in record["claims"] if c["predicate"] == "treats")
    claim["object"] = "lonely"
    _write(ketamine, record)
    assert "KB051" not in _agree(root, archives)


def test_a_new_source_resolves_a_figure_elsewhere(clean: tuple[Path, Path]) -> None:
    """A figure's KB032 depends on the file that defines its source."""
    root, archives = clean
    citing = next(p for p in sorted(root.glob("*/*.yaml")) if "figures:" in p.read_text())
    record = _record(citing)
    claim = next(c for c in record["claims"] if c.get("figures"))
    old_source = claim["figures"][0]["source"]
    claim["figures"][0]["source"] = "a-new-source"
    _write(citing, record)
    assert "KB032" in _agree(root, archives)
    source = _record(root / "sources" / f"{old_source}.yaml")
    _write(root / "sources" / "a-new-source.yaml", {**source, "id": "a-new-source"})
    assert "KB032" not in _agree(root, archives)


def test_a_copied_identifier_names_the_first_source_and_clears_when_changed(
        clean: tuple[Path, Path]) -> None:
    """KB053 of an unchanged source depends on other sources' identifiers: giving a later
    source an earlier one's DOI marks the later; taking it from the earlier clears both."""
    root, archives = clean
    with_doi = [p for p in sorted((root / "sources").glob("*.yaml")) if _record(p).get("doi")]
    first, later = with_doi[0], with_doi[-1]
    copied = _record(later)
    copied["doi"] = str(_record(first)["doi"]).upper()  # a DOI compares without case
    _write(later, copied)
    assert "KB053" in _agree(root, archives)
    assert [f.file for f in validate_kb(root, sources_dir=archives).findings
            if f.code == "KB053"] == [str(later)]
    moved = _record(first)
    moved["doi"] = "10.9999/moved"
    _write(first, moved)
    assert "KB053" not in _agree(root, archives)


def test_a_misplaced_claim_repeats_one_elsewhere(clean: tuple[Path, Path]) -> None:
    """KB036 of an unchanged file depends on the claims on the same subject and object in
    other files, even those filed in a record that is neither (KB034): the earliest one is
    the claim it repeats."""
    root, archives = clean
    original = _record(root / "agents" / "ketamine.yaml")["claims"][0]

    def misplace(name: str) -> None:
        _write(root / "agents" / f"{name}.yaml", {
            "id": name, "name": name, "summary": "s",
            "claims": [{**original, "id": f"{name}-copied-claim"}]})

    misplace("zzz")
    assert {"KB034", "KB036"} <= set(_agree(root, archives))
    misplace("aaa")  # now the first statement, before ketamine's own
    findings = validate_kb(root, sources_dir=archives).findings
    assert [f.message for f in findings if f.code == "KB036" and "zzz" in f.file] == [
        "claim 'zzz-copied-claim' repeats 'aaa-copied-claim' in "
        + str(Path(root, "agents", "aaa.yaml"))]
    _agree(root, archives)


def test_a_large_change_is_checked_in_full(clean: tuple[Path, Path],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """When a refresh sees more than a quarter of the files changed, it stops noting the
    changes (that would cost more than it saves) and the next validation checks everything."""
    root, archives = clean
    for path in sorted(root.glob("*/*.yaml"))[::3]:
        path.write_text(path.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    (root / "receptors" / "nmda-receptor.yaml").unlink()
    store = Store.open(root)
    update(store)  # a query sees the change first
    noted = store.db.execute("SELECT count(*) FROM dirty_files").fetchone()[0]
    store.close()
    assert noted == 0
    scoped: list[bool] = []
    real_scope = CrossScope.decide
    monkeypatch.setattr(CrossScope, "decide", lambda self, *args: scoped.append(
        real_scope(self, *args)) or scoped[-1])
    assert "KB032" in _agree(root, archives)
    assert scoped == [False, False]  # the cached run and the one without a cache


def test_a_retracted_source_rechecks_the_claims_citing_it(clean: tuple[Path, Path]) -> None:
    """A claim's status findings depend on its sources' design and standing (KB048, KB052)."""
    root, archives = clean
    berman = root / "sources" / "berman-2000.yaml"
    record = _record(berman)
    _write(berman, {**record, "standing": {"status": "retracted", "date": "2024-01-01"}})
    assert "KB052" in _agree(root, archives)
    _write(berman, {**record, "design": "in-vitro-study"})
    assert "KB042" in _agree(root, archives)  # ketamine's human claims rest on it
    _write(berman, record)
    assert _agree(root, archives) == []


def test_a_successor_is_rechecked_from_either_side(clean: tuple[Path, Path]) -> None:
    """KB047 of an unchanged claim depends on the claim that names it as its successor."""
    root, archives = clean
    ketamine = root / "agents" / "ketamine.yaml"
    original = _record(ketamine)
    record = _record(ketamine)
    first, second = record["claims"][0], record["claims"][2]
    first["supersedes"] = second["id"]
    second["successor"] = first["id"]
    _write(ketamine, record)
    assert _agree(root, archives) == []
    host = root / "conditions" / "major-depressive-disorder.yaml"
    stray = _record(host)
    stray.setdefault("claims", []).append({
        **second, "id": "mdd-successor-test", "subject": "ketamine", "predicate": "used_for",
        "successor": first["id"]})
    _write(host, stray)
    assert "KB047" in _agree(root, archives)  # the new claim is not named back
    _write(ketamine, original)
    assert "KB047" in _agree(root, archives)
