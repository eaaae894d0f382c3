"""Mechanism chains: how one record leads to another through claims, and what the chain
asserts about the direction of the effect.

Mechanism chains (`explain`, `graph(to=…)`) follow claims from subject to object, except two
chemical predicates whose arrow points against the flow of a mechanism: `X metabolite_of Y`
and `X enantiomer_of Y` are walked from Y to X (ketamine is metabolised into norketamine, and
racemic ketamine contains esketamine), so what a metabolite or an enantiomer does is reachable
from the parent drug, while the parent's claims are never credited to the metabolite.
`part_of` and `instance_of` are walked as written, from the part to the whole and from the
member to its class: what a subunit or a step does is a way the whole receptor or pathway is
engaged, and what a class of drugs does, its members do.

A chain's net direction (`direction`) composes the effect of each step's predicate
(`vocab.Predicate.effect`): two steps that lower make a chain that raises, as blocking an
inhibitor does. A structural step (`part_of`, `instance_of`, `metabolite_of`,
`enantiomer_of`) links records without asserting a cause, and a step whose predicate states
no direction (`binds`, `modulator_of`, `used_for` …) asserts none: a chain with either says
"not asserted", with the step that breaks it, so no printed chain reads as a cause that its
claims do not assert.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from ketakb import vocab
from ketakb.certainty import LEVELS
from ketakb.shapes import ChainDirection, Claim, WeakestLink

#: Predicates walked from object to subject in mechanism chains (see the module docstring).
REVERSED_PREDICATES = frozenset({"metabolite_of", "enantiomer_of"})
DEFAULT_DEPTH = 6
#: Most chains `explain` returns (the first by length, then by claim ids): a dense graph has
#: more chains than anyone can read.
MAX_PATHS = 1000
#: Most steps the chain search tries before it stops, about a second: a dense graph can hold
#: more partial chains than can be walked, most of them dead ends.
MAX_WORK = 1_000_000
#: A chain's net direction when some step breaks the composition.
NOT_ASSERTED = "not asserted"


def ends(subject: str, predicate: str, obj: str) -> tuple[str, str]:
    return (obj, subject) if predicate in REVERSED_PREDICATES else (subject, obj)


def step_ends(claim: Claim) -> tuple[str, str]:
    """The (from, to) of a claim as a step of a mechanism chain."""
    return ends(claim["subject"], claim["predicate"], claim["object"])


def direction(path: Sequence[Claim]) -> ChainDirection:
    """What the chain asserts about how its first record changes its last: "raises",
    "lowers" or "not asserted", the effect of each step, and the steps that break the
    composition (structural or undirected), which say why; and its `weakest` link."""
    effects = [vocab.effect_of(claim["predicate"]) for claim in path]
    breaking = [claim["id"] for claim, effect in zip(path, effects, strict=True)
                if effect not in (vocab.RAISES, vocab.LOWERS)]
    lowering = sum(effect == vocab.LOWERS for effect in effects)
    net = NOT_ASSERTED if breaking else vocab.LOWERS if lowering % 2 else vocab.RAISES
    return {"net": net, "effects": effects, "breaks": breaking, "weakest": weakest(path)}


def weakest(path: Sequence[Claim]) -> WeakestLink:
    """The chain's step of lowest certainty, the first of them on a tie: a chain holds no
    more surely than its weakest link."""
    link = min(path, key=lambda claim: LEVELS.index(claim["certainty"]["level"]))
    return {"claim": link["id"], "level": link["certainty"]["level"]}


class Step(NamedTuple):
    """A claim as a step of a mechanism chain, from its index columns alone: enough to find
    and sort chains, so that only the claims on the chains returned are JSON-decoded."""

    id: str
    subject: str
    predicate: str
    object: str
    origin: str
    end: str

    @classmethod
    def of(cls, ident: str, subject: str, predicate: str, obj: str) -> Step:
        return cls(ident, subject, predicate, obj, *ends(subject, predicate, obj))


class Steps:
    """The steps read so far, by the record each leaves and the record each reaches."""

    def __init__(self) -> None:
        self.leaving: dict[str, list[Step]] = defaultdict(list)
        self.reaching: dict[str, list[Step]] = defaultdict(list)
        self._ids: set[str] = set()

    def add(self, steps: Iterable[Step]) -> None:
        for step in steps:  # a claim touching two records read apart comes twice
            if step.id not in self._ids:
                self._ids.add(step.id)
                self.leaving[step.origin].append(step)
                self.reaching[step.end].append(step)

    def sort(self) -> None:
        """The steps from each record by id, the order the chains are listed in."""
        for options in self.leaving.values():
            options.sort(key=lambda s: s.id)


class Search:
    """A breadth-first search over steps, forwards from a record or backwards to it:
    `reached` maps each record found to its distance, `frontier` holds the farthest ones."""

    def __init__(self, record: str, *, forwards: bool) -> None:
        self.forwards = forwards
        self.frontier = [record]
        self.reached = {record: 0}

    def widen(self, steps: Steps) -> None:
        """One step farther, over the steps read so far."""
        newest = []
        options = steps.leaving if self.forwards else steps.reaching
        for record in self.frontier:
            for step in options.get(record, ()):
                other = step.end if self.forwards else step.origin
                if other not in self.reached:
                    self.reached[other] = self.reached[record] + 1
                    newest.append(other)
        self.frontier = newest


class _Stop(Exception):
    """The chain search has found more chains than it returns, or spent its work."""


def find_chains(steps: Steps, start: str, goal: str, max_depth: int,
            through: Iterable[str]) -> tuple[list[list[Step]], bool]:
    """The first MAX_PATHS chains from `start` to `goal` of at most `max_depth` steps that pass
    through every record of `through`, by length and then claim ids, and whether there were
    more (or the search spent MAX_WORK steps first and stopped).

    Iterative deepening: one depth-first search for each length, trying the steps from each
    record by id, finds the chains of that length in order, so that a search cut short still
    returns the first chains of the full answer. A step is tried only if, from its end, the
    goal and every required record not yet passed are close enough to arrive within the
    length (distances over all steps, as breadth-first searches backwards from each): the
    required records guide the search instead of filtering its results, so a cap can shorten
    the answer but never miss the chains through them.
    """
    if start == goal:
        return [], False
    to_goal = distances(steps, goal, max_depth)
    required = frozenset(through) - {start, goal}
    to_required = {record: distances(steps, record, max_depth) for record in required}
    far = max_depth + 1

    def steps_needed(record: str, missing: frozenset[str]) -> int:
        """Fewest steps from `record` to the goal through every `missing` record (a bound:
        the records on the chain so far are not avoided)."""
        need = to_goal.get(record, far)
        for other in missing:
            need = max(need, to_required[other].get(record, far) + to_goal.get(other, far))
        return need

    found: list[list[Step]] = []
    work = 0

    def visit(node: str, path: list[Step], seen: set[str], missing: frozenset[str],
              length: int) -> None:
        nonlocal work
        left = length - len(path) - 1  # steps still to take after the next one
        for step in steps.leaving.get(node, ()):
            work += 1
            if work > MAX_WORK:
                raise _Stop
            end = step.end
            if end in seen:
                continue
            if end == goal:
                if left == 0 and not missing:
                    found.append([*path, step])
                    if len(found) > MAX_PATHS:
                        raise _Stop
                continue
            still = missing - {end}
            if steps_needed(end, still) > left:
                continue
            path.append(step)
            seen.add(end)
            visit(end, path, seen, still, length)
            seen.discard(end)
            path.pop()

    try:
        for length in range(steps_needed(start, required), max_depth + 1):
            visit(start, [], {start}, required, length)
    except _Stop:
        return found[:MAX_PATHS], True
    return found, False


def distances(steps: Steps, record: str, max_depth: int) -> dict[str, int]:
    """Record → fewest steps from it to `record`, for those within `max_depth`."""
    search = Search(record, forwards=False)
    for _ in range(max_depth):
        search.widen(steps)
    return search.reached
