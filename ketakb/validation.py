"""`validate_kb`: the whole validation run as a library call, returning a report value.

Files → per-file results (parse + models) → cross-record checks → findings placed at their
line and column → one sorted report. Reporters turn the report into text, JSON or GitHub
annotations; nothing here prints.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ketakb.checks import Entry, check_all
from ketakb.findings import ERROR, WARNING, Finding
from ketakb.index import Index
from ketakb.parse import locate, parse_yaml

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Report:
    findings: list[Finding]
    files: int
    records: int
    claims: int

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == WARNING)

    def ok(self, strict: bool = False) -> bool:
        return self.errors == 0 and not (strict and self.warnings)


def place_findings(findings: list[Finding], paths: dict[str, Path]) -> list[Finding]:
    """Give cross-record findings their line and column, parsing each affected file once."""
    pending: dict[str, list[Finding]] = defaultdict(list)
    placed: list[Finding] = []
    for finding in findings:
        (pending[finding.file] if finding.line == 0 else placed).append(finding)
    for file, group in pending.items():
        try:
            root = parse_yaml(paths[file].read_bytes()).root
        except OSError:
            root = None
        for finding in group:
            line, column, _ = locate(root, finding.loc)
            placed.append(Finding(finding.file, line, column, finding.code, finding.message,
                                  finding.hint, finding.loc))
    return placed


def validate_kb(root: Path, *, sources_dir: Path | None = None, use_cache: bool = True,
                debug: bool = False, progress: Progress | None = None) -> Report:
    """Check every record under `root`, alone and together. Never raises for bad records.

    Files unchanged since the last run are not parsed again: their results come from the
    compiled index, and only the cross-record checks run over everything.
    """
    index = Index.open(root, use_cache=use_cache)
    try:
        # a throwaway (in-memory) index only validates: it needs no query tables
        results = index.refresh(debug=debug, progress=progress, derive=index.persistent)
        paths = {f.display: f.path for f in index.files}
    finally:
        index.close()
    findings = list(index.stray)
    entries = [Entry(r.file, r.kind, r.record) for r in results if r.record is not None]
    for result in results:
        findings.extend(result.findings)
    broken = {Path(r.file).stem: r.kind for r in results if r.record is None}
    findings.extend(check_all(entries, sources_dir, broken))
    placed = sorted(place_findings(findings, paths))
    claims = sum(len(e.data.get("claims", ())) for e in entries)
    return Report(placed, len(paths), len(entries), claims)
