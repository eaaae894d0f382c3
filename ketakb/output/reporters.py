"""Reporters turn a validation report into text, JSON or GitHub annotations.

The report is a value (`validation.Report`); each reporter only formats it, so adding a
format never touches the checks. Every command that prints findings prints them here, and
every field of a finding goes out under the policy of `ketakb.terminal`: on one line, with
control characters and the like shown as escapes (`safe_text`, `json_text`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import IO

from ketakb.findings import ERROR, Finding
from ketakb.formats import ReportFormat, every_format
from ketakb.pipeline.validation import Report
from ketakb.terminal import colour_wanted, console, fit_json, json_text, safe_text


def _summary(report: Report) -> str:
    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    return (f"{plural(report.errors, 'error')}, {plural(report.warnings, 'warning')} "
            f"in {plural(report.files, 'file')} ({plural(report.records, 'record')}, "
            f"{plural(report.claims, 'claim')})")


def write_findings(findings: Iterable[Finding], out: IO[str]) -> None:
    """Each finding as a plain `file:line:col: CODE message` line, and its hint on the next."""
    for f in findings:
        out.write(f"{safe_text(f.file)}:{f.line}:{f.column}: {f.code} {safe_text(f.message)}\n")
        if f.hint:
            out.write(f"  hint: {safe_text(f.hint)}\n")


def report_text(report: Report, out: IO[str]) -> None:
    """Rich and coloured on a terminal; one plain `file:line:col: CODE message` line otherwise."""
    if colour_wanted(out):
        _report_rich(report, out)
        return
    write_findings(report.findings, out)
    out.write(_summary(report) + "\n")


def _report_rich(report: Report, out: IO[str]) -> None:
    from rich.markup import escape

    con = console(out)
    for f in report.findings:
        style = "red" if f.severity == ERROR else "yellow"
        con.print(f"[bold]{escape(safe_text(f.file))}:{f.line}:{f.column}:[/bold] "
                  f"[{style}]{f.code}[/{style}] {escape(safe_text(f.message))}")
        if f.hint:
            con.print(f"  [dim]hint: {escape(safe_text(f.hint))}[/dim]")
    colour = "green" if report.ok() else "red"
    con.print(f"[{colour}]{escape(_summary(report))}[/{colour}]")


def report_json(report: Report, out: IO[str]) -> None:
    document = {
        "ok": report.ok(),
        "errors": report.errors,
        "warnings": report.warnings,
        "findings": [f.as_json() for f in report.findings],
    }
    out.write(fit_json(json_text(document, indent=2) + "\n", out))


def _escape_data(text: str) -> str:
    """Workflow-command data on one line: control characters shown as escapes (a CR or LF
    could start a forged command), then `%` encoded as GitHub decodes it."""
    return safe_text(text).replace("%", "%25")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(f: Finding) -> str:
    """A workflow command: GitHub shows it on the line of the pull request's diff."""
    level = "error" if f.severity == ERROR else "warning"
    message = f.message + (f" (hint: {f.hint})" if f.hint else "")
    return (f"::{level} file={_escape_property(f.file)},line={f.line},col={f.column},"
            f"title={_escape_property(f.code)}::{_escape_data(message)}")


def report_github(report: Report, out: IO[str]) -> None:
    """Annotations, then a summary line: GitHub shows only the first few annotations."""
    for f in report.findings:
        out.write(github_annotation(f) + "\n")
    out.write(_summary(report) + "\n")


REPORTERS: dict[ReportFormat, Callable[[Report, IO[str]], None]] = every_format(ReportFormat, {
    ReportFormat.text: report_text,
    ReportFormat.json: report_json,
    ReportFormat.github: report_github,
})
