"""`ketakb new`: skeletons that pass the models, at the right path, never outside the KB."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ketakb import vocab
from ketakb.authoring.new import skeleton
from ketakb.cli import app
from ketakb.models import ADAPTERS
from ketakb.pipeline.parse import parse_yaml
from ketakb.pipeline.validation import validate_kb

runner = CliRunner()


@pytest.mark.parametrize("kind", list(vocab.FOLDER_OF_KIND))
def test_skeleton_of_every_kind_passes_the_models(kind: str) -> None:
    text = skeleton(kind, "new-thing")
    parsed = parse_yaml(text.encode("utf-8"))
    assert parsed.problems == [] and parsed.value is not None
    ADAPTERS[kind].validate_python(parsed.value)  # raises if the skeleton is invalid
    assert parsed.value["id"] == "new-thing"
    assert text.startswith(
        f"# yaml-language-server: $schema=../../schemas/{kind}.schema.json\n")
    assert "TODO" in text


@pytest.mark.parametrize("kind_name", ["agent", "agents", "Receptor", "conditions"])
def test_new_writes_at_the_kind_folder(kb_copy: Path, kind_name: str) -> None:
    result = runner.invoke(app, ["new", kind_name, "new-thing", "--kb", str(kb_copy)])
    assert result.exit_code == 0, result.output
    kind = vocab.KINDS.get(kind_name.lower(), kind_name.lower())
    path = kb_copy / vocab.FOLDER_OF_KIND[kind] / "new-thing.yaml"
    assert path.is_file() and str(path) in result.output
    report = validate_kb(kb_copy)
    assert report.errors == 0, report.findings  # a placeholder record: warnings at most


def test_new_source_in_an_empty_kb_creates_the_folder(tmp_path: Path) -> None:
    result = runner.invoke(app, ["new", "source", "smith-2024", "--kb", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "sources" / "smith-2024.yaml").is_file()


@pytest.mark.parametrize("ident", ["../evil", "a/b", "/tmp/evil", "Upper", "under_score",
                                   "trailing-", "-lead", "", "a" * 65, "dots.yaml", "..",
                                   "x\n"])
def test_invalid_ids_are_usage_errors_and_write_nothing(kb_copy: Path, ident: str) -> None:
    before = sorted(kb_copy.rglob("*"))
    result = runner.invoke(app, ["new", "agent", ident, "--kb", str(kb_copy)])
    assert result.exit_code == 2
    assert sorted(kb_copy.rglob("*")) == before
    assert not (kb_copy.parent / "evil.yaml").exists()


def test_unknown_kind_is_a_usage_error(kb_copy: Path) -> None:
    result = runner.invoke(app, ["new", "drug", "esketamine", "--kb", str(kb_copy)])
    assert result.exit_code == 2
    assert "unknown kind" in result.output


@pytest.mark.parametrize("ident", ["ketamine", "Ketamine".lower(), "berman-2000",
                                   "ketamine-treats-depression"])
def test_taken_ids_exit_1(kb_copy: Path, ident: str) -> None:
    """Record ids in any kind folder and claim ids are all taken."""
    before = sorted(kb_copy.rglob("*"))
    result = runner.invoke(app, ["new", "effect", ident, "--kb", str(kb_copy)])
    assert result.exit_code == 1
    assert "taken" in result.output
    assert sorted(kb_copy.rglob("*")) == before


def test_kind_folder_that_is_a_link_outside_is_refused(kb_copy: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (kb_copy / "pathways").symlink_to(outside, target_is_directory=True)
    result = runner.invoke(app, ["new", "pathway", "mtor-signalling", "--kb", str(kb_copy)])
    assert result.exit_code == 1
    assert list(outside.iterdir()) == []
