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
from ketakb.loader import FileResult, RecordFile, check_bytes, discover, read_file
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


def check_files(files: list[RecordFile], *, debug: bool = False,
                progress: Progress | None = None) -> list[FileResult]:
    """Per-file results without any cache: read, parse and model-check every file."""
    results = []
    for n, record_file in enumerate(files, 1):
        raw = read_file(record_file)
        if isinstance(raw, Finding):
            results.append(FileResult(record_file.display, record_file.kind, None, [raw]))
        else:
            results.append(check_bytes(record_file, raw, debug=debug))
        if progress is not None:
            progress(n, len(files))
    return results


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


def validate_kb(root: Path, *, sources_dir: Path | None = None, debug: bool = False,
                progress: Progress | None = None) -> Report:
    """Check every record under `root`, alone and together. Never raises for bad records."""
    files, findings = discover(root)
    results = check_files(files, debug=debug, progress=progress)
    entries = [Entry(r.file, r.kind, r.record) for r in results if r.record is not None]
    for result in results:
        findings.extend(result.findings)
    broken = {Path(r.file).stem: r.kind for r in results if r.record is None}
    findings.extend(check_all(entries, sources_dir, broken))
    paths = {f.display: f.path for f in files}
    placed = sorted(place_findings(findings, paths))
    claims = sum(len(e.data.get("claims", ())) for e in entries)
    return Report(placed, len(files), len(entries), claims)
