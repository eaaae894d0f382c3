"""Strict YAML reading: bytes → node tree (with line marks) → plain Python values.

PyYAML's safe loader is too forgiving for records people edit by hand: it keeps the last of two
duplicate keys, expands alias bombs, honours tags and reads `no` as false. Here libyaml only
composes the node tree; the tree is then checked and turned into values by YAML 1.2 core
rules, so `no`, `on` and `2024-01-05` stay strings. Every problem is returned, never raised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from ketakb.findings import Loc

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_BYTES = 1 << 20
MAX_DEPTH = 32
#: Python's default limit for int ↔ decimal text (`sys.get_int_max_str_digits`); a longer
#: integer could be read but never written out again (json, repr), so it is a finding.
MAX_INT_DIGITS = 4300
_INT_BOUND = 10**MAX_INT_DIGITS

_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_OCT = re.compile(r"^0o[0-7]+$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_SPECIAL_FLOAT = {".inf": float("inf"), "+.inf": float("inf"), "-.inf": float("-inf"),
                  ".nan": float("nan")}


@dataclass(frozen=True)
class Problem:
    """A finding before it knows its file: code, 1-based line and column, message, hint."""

    code: str
    line: int
    column: int
    message: str
    hint: str = ""


@dataclass
class Parsed:
    """What one file yielded: its values (None when unusable), its tree, and the problems."""

    value: dict[str, Any] | None
    root: yaml.Node | None
    problems: list[Problem]


def _mark(node_or_event: Any) -> tuple[int, int]:
    mark = node_or_event.start_mark
    return mark.line + 1, mark.column + 1


class NumberTooLong(ValueError):
    """A plain integer with more than MAX_INT_DIGITS decimal digits."""


def scalar_value(node: yaml.ScalarNode) -> Any:
    """Resolve a scalar by the YAML 1.2 core schema: only plain scalars are ever non-strings.

    Raises NumberTooLong for an integer no field could hold.
    """
    text = node.value
    if node.style:  # quoted or block scalar; libyaml reports plain as '', PyYAML as None
        return text
    if text in _NULL:
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT.match(text):
        if len(text.lstrip("+-")) > MAX_INT_DIGITS:  # int() itself would refuse it
            raise NumberTooLong
        return int(text)
    if _OCT.match(text) or _HEX.match(text):
        value = int(text[2:], 8 if text[1] == "o" else 16)  # no digit limit in these bases
        if value >= _INT_BOUND:
            raise NumberTooLong
        return value
    if _FLOAT.match(text):
        return float(text)
    return _SPECIAL_FLOAT.get(text.lower(), text)


def _decode(raw: bytes) -> tuple[str | None, list[Problem]]:
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        column = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
        return None, [Problem("KB001", line, column,
                              f"byte 0x{raw[err.start]:02x} is not valid UTF-8",
                              "save the file as UTF-8")]


def _event_problems(text: str) -> list[Problem]:
    """Anchors, aliases, tags and too-deep nesting, found from the event stream.

    This runs on every file, before composing: libyaml's composer recurses in C, so a file of
    a few hundred thousand `[` (well under 1 MiB) overflows the C stack and kills the process.
    The event stream is flat, so counting depth here is safe, and composing happens only once
    the depth is known to be at most MAX_DEPTH. Nothing is ever built from an alias.

    How far a parser reads ahead before it hands out an event is its own business: libyaml
    0.2.6 (PyYAML 6.0.4) scans up to 1,024 characters ahead for a possible key and stops at
    its own nesting limit of 1,000 on the way, before the event at level 33 is seen. So when
    the C parser fails, the pure-Python parser (no nesting limit, and the same events) reads
    the text again: the findings never depend on the libyaml release.
    """
    problems, complete = _event_problems_with(text, _Loader)
    if complete:
        return problems
    # What comes before a syntax error is kept; the composer reports the error itself.
    return _event_problems_with(text, yaml.SafeLoader)[0]


def _event_problems_with(text: str, loader: type[yaml.SafeLoader]) -> tuple[list[Problem], bool]:
    """The event pass with one parser: its findings, and whether it read to a conclusion
    (the end, or a nesting finding) rather than stopping at an error."""
    problems: list[Problem] = []
    depth = 0  # collections open around the next node; the root record is at level 1
    events = yaml.parse(text, Loader=loader)
    while True:
        try:
            event = next(events)
        except StopIteration:
            return problems, True
        except yaml.YAMLError:
            return problems, False
        if isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent,
                              yaml.CollectionStartEvent)) and depth >= MAX_DEPTH:
            problems.append(Problem("KB008", *_mark(event),
                                    f"nesting deeper than {MAX_DEPTH} levels",
                                    "flatten the structure"))
            return problems, True
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        if isinstance(event, yaml.AliasEvent):
            problems.append(Problem("KB006", *_mark(event), f"alias *{event.anchor}",
                                    "write the value out in full"))
        elif (anchor := getattr(event, "anchor", None)) is not None:
            problems.append(Problem("KB006", *_mark(event), f"anchor &{anchor}",
                                    "remove the anchor; records do not share values"))
        tag = getattr(event, "tag", None)
        if tag is not None:
            problems.append(Problem("KB007", *_mark(event), f"explicit tag {tag}",
                                    "remove the tag; quote the value if it must be text"))


#: Every collection a node is nested in starts with its own indicator character (a flow
#: bracket, a block sequence's `-`, a block mapping's first `:` or `?`), so their count bounds
#: the depth. Below this bound composing first is safe for the C stack (a few hundred bytes
#: a level), and the event pass is needed only when composing fails or finds a deep tree.
_SAFE_COMPOSE_INDICATORS = 4096


def _needs_event_pass(text: str) -> bool:
    """Whether the event pass must run before composing: the text may hold anchors, aliases
    or tags, or is too deeply nested to compose safely."""
    if "&" in text or "*" in text or "!" in text:
        return True
    indicators = (text.count("[") + text.count("{") + text.count("-") + text.count(":")
                  + text.count("?"))
    return indicators > _SAFE_COMPOSE_INDICATORS


def _reader_problem(err: yaml.reader.ReaderError, text: str) -> Problem:
    """A character YAML forbids (a control character), at its line and column.

    The error's `position` is a byte offset with libyaml and a character offset without it,
    so the character itself is looked up: it is the first forbidden one in the text.
    """
    at = text.find(chr(err.character)) if isinstance(err.character, int) else -1
    line, column = 1, 1
    if at >= 0:
        line = text.count("\n", 0, at) + 1
        column = at - (text.rfind("\n", 0, at) + 1) + 1
    return Problem("KB002", line, column,
                   f"character U+{err.character:04X} is not allowed in YAML ({err.reason})"
                   if isinstance(err.character, int) else str(err),
                   "remove the control character, or write it as an escape in double quotes")


def _compose(text: str) -> tuple[yaml.Node | None, list[Problem]]:
    loader = _Loader(text)
    try:
        return loader.get_single_node(), []
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        if "expected a single document" in str(err.context):
            return None, [Problem("KB003", line, column, "a second YAML document starts here",
                                  "one file holds one record: remove the extra '---' part")]
        message = " ".join(str(p) for p in (err.context, err.problem) if p)
        return None, [Problem("KB002", line, column, message or "invalid YAML",
                              "check indentation and quoting around this position")]
    except yaml.reader.ReaderError as err:
        return None, [_reader_problem(err, text)]
    except yaml.YAMLError as err:
        return None, [Problem("KB002", 1, 1, str(err))]
    finally:
        loader.dispose()


class _TooDeep(Exception):
    """A node lies deeper than MAX_DEPTH: the event pass then says where, exactly."""


class _Builder:
    """Turns a node tree into values, collecting duplicate keys.

    It counts the depth as it goes (the root is level 1), which spares a separate walk over
    the tree just to measure it; the tree itself was composed safely (see
    `_needs_event_pass`).
    """

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def build(self, node: yaml.Node, level: int = 1) -> Any:
        if level > MAX_DEPTH:
            raise _TooDeep
        if isinstance(node, yaml.ScalarNode):
            try:
                return scalar_value(node)
            except NumberTooLong:
                self.problems.append(Problem(
                    "KB020", *_mark(node), f"a number longer than {MAX_INT_DIGITS} digits",
                    "no field takes a number this long; quote it if it is text"))
                return None
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, level + 1) for item in node.value]
        result: dict[str, Any] = {}
        first_seen: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(Problem("KB002", *_mark(key_node),
                                             "a mapping key must be a plain name",
                                             "use a simple word as the key"))
                continue
            key = key_node.value
            if key in first_seen:
                first_line, line = _mark(first_seen[key])[0], _mark(key_node)[0]
                self.problems.append(Problem(
                    "KB005", *_mark(key_node),
                    f"duplicate key '{key}' on line {line} (first on line {first_line})",
                    "YAML readers keep only one of them silently; merge the two"))
                continue
            first_seen[key] = key_node
            result[key] = self.build(value_node, level + 1)
        return result


def parse_yaml(raw: bytes) -> Parsed:
    """Read one record file's bytes. Never raises for bad input."""
    text, problems = _decode(raw)
    if text is None:
        return Parsed(None, None, problems)
    if _needs_event_pass(text):
        problems = _event_problems(text)
        if problems:
            return Parsed(None, None, problems)
        return _build(*_compose(text))
    # The same findings as the branch above, in one pass over the text when all is well: a
    # file that fails (or nests too deep) gets the event pass, whose findings come first.
    parsed = _build(*_compose(text))
    if parsed.problems:
        first = _event_problems(text)
        return Parsed(None, None, first) if first else parsed
    return parsed


def _build(root: yaml.Node | None, problems: list[Problem]) -> Parsed:
    """The record's values from a composed tree, or the problems that prevent them."""
    if problems:
        return Parsed(None, None, problems)
    if not isinstance(root, yaml.MappingNode):
        line, column = _mark(root) if root is not None else (1, 1)
        found = "an empty file" if root is None else f"a {type(root).__name__[:-4].lower()}"
        return Parsed(None, root, [Problem("KB004", line, column,
                                           f"expected a mapping of fields, found {found}",
                                           "start the file with `id: <record id>`")])
    builder = _Builder()
    try:
        value = builder.build(root)
    except _TooDeep:
        return Parsed(None, None, [Problem("KB008", 1, 1, f"nesting deeper than {MAX_DEPTH} "
                                           "levels", "flatten the structure")])
    if builder.problems:
        return Parsed(None, root, builder.problems)
    return Parsed(value, root, [])


def locate(
    root: yaml.Node | None, loc: Loc, *, key: bool = False
) -> tuple[int, int, yaml.Node | None]:
    """The line and column of the node at `loc`, or of its nearest existing ancestor.

    With `key=True` the last step points at the mapping key rather than its value, which is
    where an unknown field should be reported.
    """
    if root is None:
        return 1, 1, None
    node = root
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key_node, value_node in node.value:
                if key_node.value == part:
                    node = key_node if (last and key) else value_node
                    break
            else:
                break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                break
            node = node.value[part]
        else:
            continue  # pydantic inserts steps such as union branches that have no node
    return *_mark(node), node
