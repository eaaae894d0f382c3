"""`ketakb export`: the whole KB as json, jsonl, csv, sqlite or kgx.

The logic lives in `ketakb.output.export`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ketakb.cli.app import app
from ketakb.cli.options import DebugOption, KbOption, NoCacheOption, resolve_kb
from ketakb.formats import ExportFormat


@app.command()
def export(
    output: Annotated[ExportFormat, typer.Option(
        "--format", "-f", help="json, jsonl, csv (a folder of tables), sqlite (a database "
        "file) or kgx (a folder with nodes.tsv and edges.tsv).", show_default=False)],
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="File to write (a folder for csv and kgx); '-' writes json or "
        "jsonl to standard output.", show_default=False)],
    kb: KbOption = None,
    no_cache: NoCacheOption = False,
    debug: DebugOption = False,
) -> None:
    """Export every record and claim. A KB with validation errors is not exported.

    Exit 0 written, 1 the KB has errors (they are listed), 2 usage error.
    """
    from ketakb.output.export import (
        TEXT_WRITERS,
        ExportError,
        export,
        kgx_left_out,
        load_kb,
        text_export,
    )
    from ketakb.output.reporters import write_findings
    from ketakb.terminal import fit_json, safe_text

    fmt = output.value
    if str(out) == "-" and output not in TEXT_WRITERS:
        raise typer.BadParameter(f"the {fmt} export cannot go to standard output",
                                 param_hint="--out")
    root = resolve_kb(kb).path
    try:
        data = load_kb(root, use_cache=not no_cache)
        if str(out) == "-":
            sys.stdout.write(fit_json(text_export(data, fmt), sys.stdout))
            return
        export(data, fmt, out)
    except ExportError as err:
        write_findings(err.findings, sys.stderr)
        sys.stderr.write(f"ketakb export: {safe_text(err)}\n")
        raise typer.Exit(1 if err.findings else 2) from None
    sys.stderr.write(f"exported {len(data.records)} records and {len(data.claims)} claims as {fmt} "
                     f"to {safe_text(out)}\n")
    left_out = kgx_left_out(data) if output is ExportFormat.kgx else []
    if left_out:
        sys.stderr.write(f"kgx: left out {len(left_out)} record(s), and their claims, with no "
                         "xref that Biolink accepts as a node id for their category: "
                         f"{', '.join(left_out)}\n")
