"""The valid fixture KB passes; the library call and the CLI agree."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from ketakb.cli import app
from ketakb.pipeline.validation import validate_kb
from tests.conftest import ARCHIVES, VALID_KB

runner = CliRunner()


def test_valid_fixture_kb_is_clean() -> None:
    report = validate_kb(VALID_KB, sources_dir=ARCHIVES)
    assert report.findings == []
    assert report.records == 7
    assert report.claims == 4


def test_cli_json_shape_on_clean_kb() -> None:
    result = runner.invoke(app, ["validate", str(VALID_KB), "--sources-dir", str(ARCHIVES),
                                 "--strict", "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)  # stderr names the KB checked
    assert document == {"ok": True, "errors": 0, "warnings": 0, "findings": []}
