"""parse_yaml composes first when the text cannot hold anchors, aliases, tags or a dangerously
deep tree; the findings must be exactly those of the event pass it skips."""

from __future__ import annotations

import random

import pytest

from ketakb.pipeline import parse
from ketakb.pipeline.parse import MAX_DEPTH, parse_yaml


def _reference(raw: bytes, monkeypatch: pytest.MonkeyPatch) -> parse.Parsed:
    with monkeypatch.context() as m:
        m.setattr(parse, "_needs_event_pass", lambda text: True)
        return parse_yaml(raw)


def _flow(depth: int) -> str:
    return "[" * depth + "x" + "]" * depth


def _block(depth: int) -> str:
    lines = []
    for level in range(depth):
        lines.append("  " * level + f"k{level}:")
    lines.append("  " * depth + "leaf: 1")
    return "\n".join(lines) + "\n"


CASES = [
    *(f"id: a\nnotes: {_flow(d)}\n" for d in range(MAX_DEPTH - 3, MAX_DEPTH + 3)),
    *(_block(d) for d in range(MAX_DEPTH - 3, MAX_DEPTH + 3)),
    *(f"{_flow(d)}\n" for d in range(MAX_DEPTH - 2, MAX_DEPTH + 2)),
    f"id: a\nnotes: {_flow(MAX_DEPTH + 2)}\nbad: [unclosed\n",
    f"id: a\nnotes: x\nnotes: {_flow(MAX_DEPTH + 2)}\n",
    "{" * (MAX_DEPTH - 1) + "k: v" + "}" * (MAX_DEPTH - 1) + "\n",
    "{" * MAX_DEPTH + "k: v" + "}" * MAX_DEPTH + "\n",
    "{" * (MAX_DEPTH - 1) + "[k]: v" + "}" * (MAX_DEPTH - 1) + "\n",
    "id: a\n- b\n", "", "---\nid: a\n---\nid: b\n", "id: a\nid: b\n", "- - - - x\n",
    "id: a\nnotes: \x07\n", "id: 'unterminated\n", "id: a\nclaims: []\n",
]


@pytest.mark.parametrize("text", CASES)
def test_fast_path_gives_the_event_pass_findings(text: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    raw = text.encode()
    fast, slow = parse_yaml(raw), _reference(raw, monkeypatch)
    assert fast.problems == slow.problems
    assert fast.value == slow.value


def test_random_nestings_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(7)

    def value(depth: int) -> str:
        if depth <= 0 or rng.random() < 0.15:
            return rng.choice(["x", "1", "'q'", "no", "[]", "{}"])
        width = 1 if rng.random() < 0.85 else 2
        if rng.random() < 0.5:
            return "[" + ", ".join(value(depth - 1) for _ in range(width)) + "]"
        return "{" + ", ".join(f"k{i}: {value(depth - 1)}" for i in range(width)) + "}"

    for _ in range(300):
        text = f"id: a\nnotes: {value(rng.randint(25, 40))}\n"
        raw = text.encode()
        fast, slow = parse_yaml(raw), _reference(raw, monkeypatch)
        assert fast.problems == slow.problems, text
        assert fast.value == slow.value
