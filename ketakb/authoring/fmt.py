"""`ketakb fmt`: put record files in the canonical form of `ketakb.authoring.canonical`.

It never loses content: a file with comments (other than the editor modeline), an invalid
record, or anything that would not read back exactly is reported and left alone. Writes are
atomic (a temporary file in the same folder, then `os.replace`), so an interrupted run leaves
every file whole. Nothing here prints.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ketakb import vocab
from ketakb.atomic import atomic_write
from ketakb.authoring.canonical import MODELINE_PREFIX, CannotFormat, canonical_text, comment_lines
from ketakb.findings import Finding
from ketakb.pipeline.loader import (
    RecordFile,
    check_bytes,
    discover,
    display_path,
    read_file,
    record_file_at,
)

UNCHANGED = "unchanged"
CHANGED = "changed"  # reformatted, or would be with --check
SKIPPED = "skipped"  # left alone: comments, invalid, cannot round-trip, unreadable
OUTSIDE = "outside"  # not in the KB given, so not looked at (a hook passes every match)


@dataclass(frozen=True)
class FormatResult:
    display: str
    outcome: str
    reason: str = ""


def format_bytes(record_file: RecordFile, raw: bytes) -> tuple[str | None, str]:
    """(canonical text, "") or (None, why the file must be left alone)."""
    result = check_bytes(record_file, raw)
    if result.record is None or result.findings:
        first = result.findings[0] if result.findings else None
        detail = f" ({first.line}:{first.column} {first.code} {first.message})" if first else ""
        return None, f"invalid record{detail}; run `ketakb validate`"
    text = raw.decode("utf-8")
    comments = comment_lines(text)
    # a byte order mark some editors save is not part of the modeline (and is not kept)
    first_line = text.split("\n", 1)[0].rstrip("\r").removeprefix("\ufeff")
    keep = first_line.rstrip() if first_line.startswith(MODELINE_PREFIX) else None
    if keep is not None:
        comments = [line for line in comments if line != 1]
    if comments:
        lines = ", ".join(map(str, comments[:5])) + ("…" if len(comments) > 5 else "")
        return None, f"has comments (line {lines}); fmt would lose them, so remove them first"
    try:
        return canonical_text(result.record, record_file.kind, keep), ""
    except CannotFormat as err:
        return None, f"cannot be formatted without risk: {err}"


def format_file(record_file: RecordFile, *, check: bool) -> FormatResult:
    """Put one file in canonical form (or only compare, with `check`)."""
    raw = read_file(record_file)
    if not isinstance(raw, bytes):
        return FormatResult(record_file.display, SKIPPED, raw.message)
    text, reason = format_bytes(record_file, raw)
    if text is None:
        return FormatResult(record_file.display, SKIPPED, reason)
    if text.encode("utf-8") == raw:
        return FormatResult(record_file.display, UNCHANGED)
    if not check:
        try:
            atomic_write(record_file.path, text)
        except OSError as err:  # a read-only file, folder or file system
            return FormatResult(record_file.display, SKIPPED,
                                f"cannot write the file: {err.strerror}")
    return FormatResult(record_file.display, CHANGED)


#: What `discover` finds that keeps fmt from a record file: a link it must not follow, a
#: folder it cannot read. Stray files are `validate`'s business.
_BLOCKED = ("KB011", "KB012")


def _left_alone(finding: Finding) -> FormatResult:
    return FormatResult(finding.file, SKIPPED, f"{finding.code} {finding.message}")


def record_files(paths: Iterable[Path]) -> tuple[list[RecordFile], list[FormatResult]]:
    """The record files named by `paths`: files, kind folders or KB folders. A link that
    leads outside the KB, or in a loop, is reported and never followed."""
    found: dict[str, RecordFile] = {}
    problems: list[FormatResult] = []
    for path in paths:
        full = Path(os.path.abspath(path))
        if full.is_dir():
            if full.name in vocab.KINDS and not (full / "sources").is_dir():
                files, findings = discover(full.parent, only=full.name)
            else:
                files, findings = discover(path)
            problems += [_left_alone(f) for f in findings if f.code in _BLOCKED]
        elif os.path.lexists(full):
            named = record_file_at(path)
            if isinstance(named, Finding):
                problems.append(_left_alone(named))
                continue
            files = [named]
        else:
            problems.append(FormatResult(display_path(path), SKIPPED, "no such file or folder"))
            continue
        for record_file in files:  # each file once, under its own name rather than a link's
            key = os.path.realpath(record_file.location)
            if key not in found or os.path.islink(found[key].location):
                found[key] = record_file
    return list(found.values()), problems


def format_paths(paths: Iterable[Path], *, check: bool,
                 kb: Path | None = None) -> list[FormatResult]:
    """Format (or check) every record file under `paths`, one result per file.

    With `kb`, paths outside that KB folder are passed over (OUTSIDE), not judged: a
    pre-commit hook hands over every changed file its pattern matches, wherever it is.
    """
    inside: list[Path] = []
    outside: list[FormatResult] = []
    real_kb = kb.resolve() if kb is not None else None
    for path in paths:
        if real_kb is None or path.resolve().is_relative_to(real_kb):
            inside.append(path)
        else:
            outside.append(FormatResult(display_path(path), OUTSIDE, f"not in the KB {kb}"))
    files, results = record_files(inside)
    return outside + results + [format_file(f, check=check) for f in files]
