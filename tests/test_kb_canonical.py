"""The bundled KB is in canonical form (`ketakb fmt --check kb`), as CI checks.

Added for the lead: it passes once `ketakb fmt kb` has been run over the curated records.
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from ketakb.cli import app

KB = Path(__file__).resolve().parent.parent / "kb"


def test_bundled_kb_is_canonical() -> None:
    result = CliRunner().invoke(app, ["fmt", "--check", str(KB)])
    assert result.exit_code == 0, result.output
