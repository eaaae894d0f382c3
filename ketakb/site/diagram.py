"""Claim diagrams as SVG, laid out in Python at build time: no diagram library in the page.

A deterministic layered layout: one column per layer (distance from the agent, or incoming /
focus / outgoing), boxes ordered in a column by where their neighbours in earlier columns sit,
arrows with the predicate as label. An arrow that skips columns passes each one through a
slot of its own between the boxes (as in Sugiyama's layered drawing), so it never crosses a
box. Every box links to its record page and every arrow to its claim page; all text goes
through `ketakb.site.markup`, so it is escaped. Boxes take the kind colours of the Mermaid
graphs (`ketakb.output.render`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import pairwise

from ketakb.output.render import KIND_COLOURS, KIND_STROKES
from ketakb.site.markup import Href, Markup, el

BOX_WIDTH = 176
LINE_HEIGHT = 16
LINE_CHARS = 24
MAX_LINES = 3
COLUMN_GAP = 150
ROW_GAP = 26
MARGIN = 16
#: The slot an arrow passes a column through, between the boxes (no box drawn there).
WAYPOINT_HEIGHT = 2
TEXT_COLOUR = "#1a1a1a"
#: The height of one edge label's line (12 px text).
LABEL_LINE = 15
LINE_COLOUR = "#4d4d4d"


@dataclass(frozen=True)
class Node:
    id: str
    label: str
    kind: str
    href: Href
    layer: int


@dataclass(frozen=True)
class Edge:
    """An arrow from `source` to `target`, its label, its claim page and its statement."""

    source: str
    target: str
    label: str
    href: Href
    title: str


@dataclass(frozen=True)
class _Box:
    x: int
    y: int
    lines: tuple[str, ...]

    @property
    def height(self) -> int:
        return len(self.lines) * LINE_HEIGHT + 12 if self.lines else WAYPOINT_HEIGHT

    @property
    def middle(self) -> int:
        return self.y + self.height // 2


def wrap(text: str, width: int = LINE_CHARS, most: int = MAX_LINES) -> tuple[str, ...]:
    """Words into lines of about `width` characters; the last shown line ends in "…" when
    the text is longer than `most` lines."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        while len(word) > width:  # a long word is cut, not left to overflow the box
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:width])
            word = word[width:]
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current or not lines:
        lines.append(current)
    if len(lines) > most:
        lines = lines[:most]
        lines[-1] = lines[-1][:width - 1].rstrip() + "…"
    return tuple(lines)


def longest_path_layers(start: str, steps: list[tuple[str, str]]) -> dict[str, int]:
    """Each record reachable from `start` by the (from, to) steps, with its column: the most
    steps any route takes to it, so every arrow points rightwards. A cycle is cut where a
    depth-first search (in sorted order) meets it, so the layering always ends."""
    leaving: dict[str, list[str]] = defaultdict(list)
    for origin, end in sorted(set(steps)):
        leaving[origin].append(end)
    state = {start: 1}  # 1 on the search's path, 2 done
    back: set[tuple[str, str]] = set()
    finished: list[str] = []
    stack = [(start, iter(leaving[start]))]
    while stack:
        node, ahead = stack[-1]
        following = next(ahead, None)
        if following is None:
            state[node] = 2
            finished.append(node)
            stack.pop()
        elif state.get(following) == 1:
            back.add((node, following))
        elif following not in state:
            state[following] = 1
            stack.append((following, iter(leaving[following])))
    layer = {start: 0}
    for node in reversed(finished):
        for end in leaving[node]:
            if (node, end) not in back:
                layer[end] = max(layer.get(end, 0), layer[node] + 1)
    return layer


def _order(slots: dict[str, tuple[int, str]],
           pairs: list[tuple[str, str]]) -> dict[int, list[str]]:
    """Slot ids (boxes and waypoints: id → (layer, label)) per layer; each layer after the
    first sorted by the mean row of its neighbours in earlier layers (one barycentre sweep),
    then by label and id."""
    layers: dict[int, list[str]] = defaultdict(list)
    for ident, (layer, _) in slots.items():
        layers[layer].append(ident)
    neighbours: dict[str, set[str]] = defaultdict(set)
    for first, second in pairs:
        neighbours[first].add(second)
        neighbours[second].add(first)
    row: dict[str, int] = {}
    for layer in sorted(layers):
        def key(ident: str, layer: int = layer) -> tuple[float, str, str]:
            before = [row[o] for o in neighbours[ident] if o in row and slots[o][0] < layer]
            return (sum(before) / len(before) if before else 0.0, slots[ident][1].casefold(),
                    ident)
        layers[layer].sort(key=key)
        row.update((ident, n) for n, ident in enumerate(layers[layer]))
    return dict(layers)


def _routes(nodes: list[Node], edges: list[Edge]) -> list[tuple[Edge, list[str]]]:
    """Each drawable edge with the slots it passes: its source, a waypoint in every column
    between, its target."""
    layer = {n.id: n.layer for n in nodes}
    routes = []
    for n, edge in enumerate(edges):
        if edge.source not in layer or edge.target not in layer:
            continue
        start, end = layer[edge.source], layer[edge.target]
        step = 1 if end > start else -1
        between = [f"{n}@{column}" for column in range(start + step, end, step)]
        routes.append((edge, [edge.source, *between, edge.target]))
    return routes


def diagram(nodes: list[Node], edges: list[Edge], *, ident: str, title: str,
            description: str) -> Markup:
    """The SVG (role="img", with <title> and <desc>) inside a scrolling container."""
    routes = _routes(nodes, edges)
    slots = {n.id: (n.layer, n.label) for n in nodes}
    for _, route in routes:
        for waypoint in route[1:-1]:
            slots[waypoint] = (int(waypoint.split("@")[1]), "")
    layers = _order(slots, [pair for _, route in routes for pair in pairwise(route)])
    labels = {n.id: n.label for n in nodes}
    columns = sorted(layers)
    boxes: dict[str, _Box] = {}
    heights = {}
    for n, layer in enumerate(columns):
        y = 0
        for slot in layers[layer]:
            box = _Box(MARGIN + n * (BOX_WIDTH + COLUMN_GAP), y,
                       wrap(labels[slot]) if slot in labels else ())
            boxes[slot] = box
            y += box.height + ROW_GAP
        heights[layer] = y - ROW_GAP
    tallest = max(heights.values(), default=0)
    for layer in columns:  # centre each column on the tallest
        shift = MARGIN + (tallest - heights[layer]) // 2
        for slot in layers[layer]:
            box = boxes[slot]
            boxes[slot] = _Box(box.x, box.y + shift, box.lines)
    width = 2 * MARGIN + len(columns) * BOX_WIDTH + max(len(columns) - 1, 0) * COLUMN_GAP
    height = 2 * MARGIN + tallest
    arrow = f"{ident}-arrow"
    parts = [el("title", title, id=f"{ident}-title"), el("desc", description, id=f"{ident}-desc"),
             el("defs", el("marker", el("path", d="M0,0 L10,5 L0,10 z", fill=LINE_COLOUR),
                           id=arrow, viewBox="0 0 10 10", refX="10", refY="5",
                           markerWidth="7", markerHeight="7", orient="auto-start-reverse"))]
    ends = Counter(slot for _, route in routes for slot in (route[0], route[-1]))
    pairs = Counter(frozenset((route[0], route[-1])) for _, route in routes)
    stacked: Counter[frozenset[str]] = Counter()
    for edge, route in routes:  # arrows between the same two boxes: their labels one above another
        pair = frozenset((route[0], route[-1]))
        shift = LABEL_LINE * stacked[pair] - LABEL_LINE * (pairs[pair] - 1) // 2
        stacked[pair] += 1
        parts.append(_edge(edge, [boxes[slot] for slot in route], arrow,
                           near_start=ends[route[-1]] > ends[route[0]], shift=shift))
    parts += [_node(node, boxes[node.id]) for node in sorted(nodes, key=lambda n: n.id)]
    svg = el("svg", *parts, xmlns="http://www.w3.org/2000/svg", width=str(width),
             height=str(height), viewBox=f"0 0 {width} {height}", role="img",
             aria_labelledby=f"{ident}-title {ident}-desc", class_="diagram-svg")
    return el("div", svg, class_="diagram", tabindex="0", role="region",
              aria_label=title)


def _node(node: Node, box: _Box) -> Markup:
    text = el("text", *(el("tspan", line, x=str(box.x + BOX_WIDTH // 2),
                           y=str(box.y + 6 + LINE_HEIGHT * (n + 1) - 4))
                        for n, line in enumerate(box.lines)),
              fill=TEXT_COLOUR, text_anchor="middle", font_size="13")
    rect = el("rect", x=str(box.x), y=str(box.y), width=str(BOX_WIDTH), height=str(box.height),
              rx="6", fill=KIND_COLOURS.get(node.kind, "#ffffff"),
              stroke=KIND_STROKES.get(node.kind, LINE_COLOUR), stroke_width="1.5")
    return el("a", el("title", node.label), rect, text, href=node.href, class_="node",
              data_id=node.id)


def _label_at(t: float, start: tuple[int, int], end: tuple[int, int]) -> tuple[int, int]:
    """The point at `t` (0 to 1) of the curve `_edge` draws from `start` to `end` (its control
    points share the ends' heights, so it leaves and arrives level)."""
    (x, y), (x2, y2) = start, end
    middle = 3 * (1 - t) * t  # the weight of the two control points, half-way across
    return (round(x + (x2 - x) * (middle / 2 + t ** 3)),
            round(y + (y2 - y) * (middle * t + t ** 3)))


def _edge(edge: Edge, route: list[_Box], arrow: str, *, near_start: bool,
          shift: int) -> Markup:
    """Curves from box to box through the route's waypoints, leaving and entering each on
    the side that faces the next; two boxes in one column are joined by a bow on their right.
    The label sits on the middle waypoint; between two boxes, a quarter of the way from the
    box with fewer arrows (`near_start`), where the arrows fanning into the other are still
    apart, so their labels do not overlap; `shift` moves it down (or up) past the labels of
    other arrows between the same two boxes."""
    start, end = route[0], route[-1]
    if start.x == end.x:
        x = start.x + BOX_WIDTH
        bow = 60
        d = f"M{x},{start.middle} C{x + bow},{start.middle} {x + bow},{end.middle} " \
            f"{x},{end.middle}"
        label_x, label_y = x + bow * 3 // 4, (start.middle + end.middle) // 2
    else:
        forwards = end.x > start.x
        near, far = (BOX_WIDTH, 0) if forwards else (0, BOX_WIDTH)
        x, y = start.x + near, start.middle
        d = f"M{x},{y}"
        label_x = label_y = 0
        for n, box in enumerate(route[1:], start=1):
            x2, y2 = box.x + far, box.middle
            bend = (x2 - x) // 2
            d += f" C{x + bend},{y} {x2 - bend},{y2} {x2},{y2}"
            if len(route) == 2:
                label_x, label_y = _label_at(0.25 if near_start else 0.75, (x, y), (x2, y2))
            elif n == len(route) // 2:  # on the middle waypoint's straight run, clear of others
                label_x, label_y = box.x + BOX_WIDTH // 2, box.middle
            x, y = box.x + near, box.middle
            if n < len(route) - 1:  # a waypoint: straight across its column
                d += f" L{x},{y}"
    path = el("path", d=d, fill="none", stroke=LINE_COLOUR, stroke_width="1.5",
              marker_end=f"url(#{arrow})")
    label = el("text", edge.label, x=str(label_x), y=str(label_y + 4 + shift), fill=TEXT_COLOUR,
               text_anchor="middle", font_size="12", stroke="#ffffff", stroke_width="4",
               class_="edge-label")  # its white halo goes under the text: style.css
    return el("a", el("title", edge.title), path, label, href=edge.href, class_="edge")
