"""`ketakb site`: the KB as a static website in a folder. Logic in `ketakb.site`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ketakb.cli.app import app
from ketakb.cli.options import DebugOption, KbOption, NoCacheOption, resolve_kb


@app.command()
def site(
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="Folder to write the site to: new, empty, or an earlier site "
        "(which is replaced).", show_default=False)],
    kb: KbOption = None,
    no_cache: NoCacheOption = False,
    debug: DebugOption = False,
) -> None:
    """Build the KB as a static website: a page per record, claim and source, mechanism
    diagrams, conflicts, timeline, target table and search. Open OUT/index.html in a
    browser; no server or network is needed. A KB with validation errors is not built.

    Exit 0 written, 1 the KB has errors (they are listed), 2 usage error.
    """
    from ketakb import open_kb
    from ketakb.output.reporters import write_findings
    from ketakb.pipeline.validation import validate_kb
    from ketakb.site import SiteError, build, write_site
    from ketakb.terminal import safe_text

    root = resolve_kb(kb).path
    report = validate_kb(root, use_cache=not no_cache, debug=debug)
    if report.errors:
        write_findings(report.error_findings, sys.stderr)
        sys.stderr.write(f"ketakb site: the KB has {report.errors} error(s); fix them "
                         "(`ketakb validate`) before building the site\n")
        raise typer.Exit(1)
    with open_kb(root, use_cache=not no_cache) as knowledge:
        files = build(knowledge)
    try:
        write_site(files, out)
    except (SiteError, OSError) as err:
        sys.stderr.write(f"ketakb site: {safe_text(err)}\n")
        raise typer.Exit(2) from None
    pages = sum(name.endswith(".html") for name in files)
    sys.stderr.write(f"wrote {pages} pages to {safe_text(out)}; open "
                     f"{safe_text(out / 'index.html')}\n")
