"""Queries on the bundled KB: the documented mechanism facts, and the README tour's diagram."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from ketakb import bundled_kb, open_kb
from ketakb.cli import app
from ketakb.query.chains import step_ends

README = Path(__file__).resolve().parents[1] / "README.md"
#: The command whose Mermaid output the README tour shows (without --kb).
TOUR_GRAPH = ["graph", "--to", "rapid-antidepressant-effect", "--through", "nmda-receptor",
              "--through", "bdnf", "--depth", "5", "--no-withdrawn"]
KETAMINE, NMDA, BDNF, EFFECT = "ketamine", "nmda-receptor", "bdnf", "rapid-antidepressant-effect"

runner = CliRunner()


def test_the_named_records_resolve() -> None:
    with open_kb(bundled_kb()) as kb:
        assert [m.id for m in kb.resolve("NMDAR")] == [NMDA]
        assert [m.id for m in kb.resolve("BDNF")] == [BDNF]
        assert [m.id for m in kb.resolve("Rapid antidepressant effect")] == [EFFECT]


def test_explain_finds_ketamine_to_antidepressant_effect_through_nmda_and_bdnf() -> None:
    result = runner.invoke(app, ["explain", EFFECT, "--format", "json",
                                 "--kb", str(bundled_kb())])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["from"] == KETAMINE and doc["target"] == EFFECT
    through = []
    for path in doc["paths"]:
        nodes = [step_ends(path[0])[0], *(step_ends(c)[1] for c in path)]
        assert nodes[0] == KETAMINE and nodes[-1] == EFFECT
        if NMDA in nodes and BDNF in nodes and nodes.index(NMDA) < nodes.index(BDNF):
            through.append(path)
    assert through, "no chain ketamine → NMDA receptor → … → BDNF → rapid antidepressant effect"
    assert all(c["status"] not in ("refuted", "outdated") for p in through for c in p)


def test_show_nmda_receptor_lists_ketamine_claims() -> None:
    result = runner.invoke(app, ["show", "nmda-receptor", "--kb", str(bundled_kb())])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("NMDA receptor  nmda-receptor · receptor\n")
    assert "ketamine channel_blocker_of nmda-receptor" in result.stdout


def _readme_mermaid() -> str:
    text = README.read_text(encoding="utf-8")
    tour = text.split("<!-- tour:start -->", 1)[1].split("<!-- tour:end -->", 1)[0]
    blocks = re.findall(r"```mermaid\n(.*?)```", tour, flags=re.DOTALL)
    assert len(blocks) == 1, "the README tour holds one ```mermaid block"
    assert "ketakb " + " ".join(TOUR_GRAPH) in tour, "the tour shows the command it ran"
    return str(blocks[0])


def test_readme_diagram_is_in_step_with_the_kb() -> None:
    result = runner.invoke(app, [*TOUR_GRAPH, "--kb", str(bundled_kb())])
    assert result.exit_code == 0, result.output
    assert _readme_mermaid() == result.stdout, (
        "README's Mermaid diagram is out of step with the KB; regenerate it with\n"
        f"  ketakb {' '.join(TOUR_GRAPH)}\n"
        "and paste the output into the ```mermaid block of the README tour")
