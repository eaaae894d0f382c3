"""`validate_kb`: the whole validation run as a library call, returning a report value.

Files → per-file results (parse + models) → cross-record checks → findings placed at their
line and column → one sorted report. Reporters turn the report into text, JSON or GitHub
annotations; nothing here prints.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from ketakb import locate_kb
from ketakb.findings import ERROR, WARNING, Finding
from ketakb.pipeline.build import Progress, refresh
from ketakb.pipeline.checks import check_all
from ketakb.pipeline.parse import locate, parse_yaml
from ketakb.pipeline.scope import CrossScope
from ketakb.pipeline.store import Store, using_store


@dataclass(frozen=True)
class Report:
    findings: list[Finding]
    files: int
    records: int
    claims: int

    @property
    def error_findings(self) -> list[Finding]:
        """The findings that keep a KB from being exported or built as a site."""
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def errors(self) -> int:
        return len(self.error_findings)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == WARNING)

    def ok(self, strict: bool = False) -> bool:
        return self.errors == 0 and not (strict and self.warnings)


def place_findings(findings: list[Finding], paths: dict[str, str]) -> list[Finding]:
    """Give cross-record findings their line and column, parsing each affected file once."""
    pending: dict[str, list[Finding]] = defaultdict(list)
    placed: list[Finding] = []
    for finding in findings:
        (pending[finding.file] if finding.line == 0 else placed).append(finding)
    for file, group in pending.items():
        try:
            root = parse_yaml(Path(paths[file]).read_bytes()).root
        except OSError:
            root = None
        for finding in group:
            line, column, _ = locate(root, finding.loc)
            placed.append(Finding(finding.file, line, column, finding.code, finding.message,
                                  finding.hint, finding.loc))
    return placed


def validate_kb(root: str | os.PathLike[str] | None = None, *,
                sources_dir: str | os.PathLike[str] | None = None, use_cache: bool = True,
                debug: bool = False, progress: Progress | None = None) -> Report:
    """Check every record under `root`, alone and together. Never raises for bad records.

    `root` defaults to the KB the commands would pick (`ketakb.locate_kb`); quotes are checked
    against the archived texts in `sources_dir` when given. `debug` keeps the traceback of an
    internal error in its finding; `progress(done, total)` is called as files are checked.
    Files unchanged since the last run are not parsed again: their findings and table rows
    come from the compiled index. The cross-record checks run again over the index, for the
    files a change can affect; the index keeps the other files' findings, placed.
    """
    archives = None if sources_dir is None else Path(sources_dir)
    return using_store(locate_kb(root).path, use_cache,
                       lambda store: _validate(store, archives, debug, progress))


def _validate(store: Store, sources_dir: Path | None, debug: bool,
              progress: Progress | None) -> Report:
    """One validation on an open store."""
    # a throwaway (in-memory) index only validates: it needs no query tables
    indexed = refresh(store, debug=debug, progress=progress, queried=store.persistent)
    cross = CrossScope(store, indexed.by_key)
    found = check_all(indexed, cross, sources_dir)
    kept = cross.kept()
    affected = {finding.file for finding in found}
    found = place_findings(found, {f.display: f.location for f in indexed.files
                                   if f.display in affected})
    cross.keep(found)
    findings = indexed.file_findings() + found + kept
    records, claims = (next(store.rows(f"SELECT count(*) FROM {table}"))[0]
                       for table in ("records", "claims"))
    return Report(sorted(findings), len(indexed.files), records, claims)
