"""The canonical text of a record, as `ketakb fmt` writes it.

Canonical form:

* keys in a fixed order: `id`, `name` (`title` for sources), `synonyms`, the kind's other
  fields in model order, then `xrefs`, `notes`, `claims`; a claim's, a figure's, an evidence
  item's, a search's, a context's, a standing's and a regulatory action's keys in their
  model order; xrefs sorted by
  prefix;
* synonyms sorted (case-insensitively) with exact duplicates removed;
* fields that are null or empty are left out (they mean the same as absent);
* two-space indentation; mappings always in block style; lists of plain values in flow style
  (`[a, b]`) when they fit on the line, else one item per line;
* strings plain when every YAML reader (1.2 and 1.1) reads them back as the same text, else
  quoted: `no`, `on`, `y`, `~`, `null`, numbers and dates as text, leading zeros, `1.10`,
  text with `: ` or ` #`, text starting with an indicator character;
* text that does not fit in 100 columns folded (`>-`) at spaces, which reads back exactly;
  text with line breaks as a literal block (`|-`) when that reads back exactly;
* one trailing newline; a first-line `# yaml-language-server:` modeline is kept.

`canonical_text` refuses (raises `CannotFormat`) rather than ever producing text that reads
back differently: the output is re-parsed with the strict reader *and* with PyYAML's YAML 1.1
safe loader, and both must give exactly the normalised values.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

from ketakb import vocab
from ketakb.pipeline.parse import NumberTooLong, scalar_value

WIDTH = 100
INDENT = 2
MODELINE_PREFIX = "# yaml-language-server:"

_SHARED_TAIL = ("xrefs", "notes", "claims")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class CannotFormat(Exception):
    """The file cannot be put in canonical form without risk; it must be left alone."""


# -- key order ------------------------------------------------------------------------------


def _model_keys(model: Any) -> tuple[str, ...]:
    return tuple(field.alias or name for name, field in model.model_fields.items())


def record_key_order(kind: str) -> tuple[str, ...]:
    """`id`, `name` or `title`, `synonyms`, the kind's other fields in model order, then
    `xrefs`, `notes`, `claims`."""
    from ketakb.models import MODEL_OF_KIND

    keys = _model_keys(MODEL_OF_KIND[kind])
    head = "title" if "title" in keys else "name"
    middle = tuple(k for k in keys if k not in ("id", head, "synonyms", *_SHARED_TAIL))
    return ("id", head, "synonyms", *middle, *_SHARED_TAIL)


def _nested_orders() -> dict[str, tuple[str, ...]]:
    from ketakb.models import Claim, Context, Evidence, Figure, RegulatoryAction, Search, Standing

    return {"context": _model_keys(Context), "figures": _model_keys(Figure),
            "evidence": _model_keys(Evidence), "searches": _model_keys(Search),
            "claims": _model_keys(Claim), "standing": _model_keys(Standing),
            "regulatory": _model_keys(RegulatoryAction)}


def _empty(value: Any) -> bool:
    return value is None or value == [] or value == {}


def _ordered(mapping: dict[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    unknown = [k for k in mapping if k not in order]
    if unknown:  # the models reject these; never drop them silently
        raise CannotFormat(f"unknown field(s): {', '.join(map(str, unknown))}")
    return {k: mapping[k] for k in order if k in mapping and not _empty(mapping[k])}


def normalise(record: dict[str, Any], kind: str) -> dict[str, Any]:
    """The record's values in canonical order, with the canonical list normalisations."""
    nested = _nested_orders()
    out = _ordered(record, record_key_order(kind))
    if "standing" in out:
        out["standing"] = _ordered(out["standing"], nested["standing"])
    if "synonyms" in out:
        out["synonyms"] = sorted(set(out["synonyms"]), key=lambda s: (s.casefold(), s))
    if "xrefs" in out:
        out["xrefs"] = {k: out["xrefs"][k] for k in sorted(out["xrefs"])
                        if not _empty(out["xrefs"][k])}
        if not out["xrefs"]:
            del out["xrefs"]
    if "regulatory" in out:  # an agent's actions: each in model order, the list as written
        out["regulatory"] = [_ordered(item, nested["regulatory"]) for item in out["regulatory"]]
    if "claims" in out:
        claims = []
        for claim in out["claims"]:
            claim = _ordered(claim, nested["claims"])
            for key in ("context", "figures", "evidence", "searches"):
                if key not in claim:
                    continue
                if key == "context":
                    claim[key] = _ordered(claim[key], nested[key])
                else:
                    claim[key] = [_ordered(item, nested[key]) for item in claim[key]]
                if not claim[key]:
                    del claim[key]
            claims.append(claim)
        out["claims"] = claims
    return out


# -- scalars --------------------------------------------------------------------------------

_INDICATORS = set("-?:,[]{}#&*!|>'\"%@`=<.~ ")
_FLOW_UNSAFE = set(",[]{}:#?")  # what ends a plain flow item for PyYAML
_YAML11_WORDS = frozenset({"y", "Y", "n", "N", "yes", "Yes", "YES", "no", "No", "NO", "on", "On",
                           "ON", "off", "Off", "OFF", "=", "<<"})
_NUMBERISH = re.compile(r"^[-+]?[0-9][0-9_:.,eE+-]*$")
_DATEISH = re.compile(r"^\d{4}-\d\d?-\d\d?")
_LINE_BREAKS = set("\r\n\x85\u2028\u2029")
_DANGEROUS = _LINE_BREAKS | {"\ufeff", "\t"}


def _printable(text: str) -> bool:
    return text.isprintable() and not (set(text) & _DANGEROUS)


def _reads_back_plain(text: str) -> bool:
    """True when YAML 1.2 core and YAML 1.1 (PyYAML) both read `text` unquoted as itself."""
    if text in _YAML11_WORDS or _NUMBERISH.match(text) or _DATEISH.match(text):
        return False
    node = yaml.ScalarNode("tag:yaml.org,2002:str", text, style="")
    try:
        if scalar_value(node) != text:
            return False
    except NumberTooLong:  # a plain number, if anything: it stays quoted
        return False
    try:
        loaded = yaml.load(f"k: {text}\n", Loader=_Loader)
    except yaml.YAMLError:
        return False
    return isinstance(loaded, dict) and loaded.get("k") == text


def _plain_ok(text: str, flow: bool) -> bool:
    if not text or text != text.strip() or not _printable(text):
        return False
    if text[0] in _INDICATORS or text.endswith(":"):
        return False
    if ": " in text or " #" in text:
        return False
    if flow and set(text) & _FLOW_UNSAFE:
        return False
    return _reads_back_plain(text)


def _double_quoted(text: str) -> str:
    out = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif char.isprintable() and char not in _DANGEROUS:
            out.append(char)
        elif ord(char) <= 0xFF:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return '"' + "".join(out) + '"'


def _quoted(text: str) -> str:
    """Single quotes for printable text containing a double quote, else double quotes."""
    if '"' in text and "'" not in text and "\\" not in text and _printable(text):
        return "'" + text + "'"
    return _double_quoted(text)


def inline_scalar(value: Any, *, flow: bool = False) -> str:
    """A value written on one line, quoted when needed."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, str):
        return value if _plain_ok(value, flow) else _quoted(value)
    raise CannotFormat(f"unexpected value of type {type(value).__name__}")


def _float_text(value: float) -> str:
    """A float both YAML 1.2 and YAML 1.1 read back as the same float (1.1 needs a dot)."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    mantissa, _, exponent = text.partition("e")
    if "." not in mantissa:
        mantissa += ".0"
    if exponent and exponent[0] not in "+-":
        exponent = "+" + exponent
    return mantissa + ("e" + exponent if exponent else "")


def _fold(text: str, width: int) -> list[str] | None:
    """Lines of a `>-` folded scalar that reads back as `text`, or None if it cannot."""
    if not text or text != text.strip() or not _printable(text):
        return None
    words = text.split(" ")
    if any(not w for w in words):  # double spaces: a fold there would not read back
        return None
    lines: list[str] = []
    current = words[0]
    for word in words[1:]:
        if len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            lines.append(current)
            current = word
    lines.append(current)
    return lines if len(lines) > 1 else None


def _literal(text: str) -> tuple[str, list[str]] | None:
    """(indicator, lines) of a literal block scalar that reads back as `text`, or None."""
    if "\n" not in text or text.startswith((" ", "\n")) or "\r" in text:
        return None
    body, chomp = (text[:-1], "|") if text.endswith("\n") else (text, "|-")
    if body.endswith("\n"):
        return None
    lines = body.split("\n")
    if any(line != line.rstrip() or not _printable(line) for line in lines if line):
        return None
    return chomp, lines


# -- structure ------------------------------------------------------------------------------


def _is_plain_value(value: Any) -> bool:
    return not isinstance(value, (dict, list))


def _key_text(key: Any) -> str:
    if not isinstance(key, str) or not re.fullmatch(r"[a-z][a-z0-9_.]*", key):
        raise CannotFormat(f"unexpected key {key!r}")
    return key


def _scalar_lines(prefix: str, value: Any, indent: int) -> list[str]:
    """`prefix` (e.g. "  name:" or "  -") followed by the value, wrapped when too long."""
    if isinstance(value, str):
        if "\n" in value or "\r" in value:
            literal = _literal(value)
            if literal is not None:
                chomp, lines = literal
                pad = " " * (indent + INDENT)
                return [f"{prefix} {chomp}", *(pad + line if line else "" for line in lines)]
            return [f"{prefix} {_double_quoted(value)}"]
        single = f"{prefix} {inline_scalar(value)}"
        if len(single) > WIDTH:
            folded = _fold(value, WIDTH - indent - INDENT)
            if folded is not None:
                pad = " " * (indent + INDENT)
                return [f"{prefix} >-", *(pad + line for line in folded)]
        return [single]
    return [f"{prefix} {inline_scalar(value)}"]


def _flow_list(items: list[Any]) -> str | None:
    if not all(_is_plain_value(i) for i in items):
        return None
    if any(isinstance(i, str) and ("\n" in i or "\r" in i) for i in items):
        return None
    return "[" + ", ".join(inline_scalar(i, flow=True) for i in items) + "]"


def _mapping_lines(mapping: dict[str, Any], indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    for key, value in mapping.items():
        head = f"{pad}{_key_text(key)}:"
        if isinstance(value, dict):
            if not value:
                lines.append(f"{head} {{}}")
            else:
                lines.append(head)
                lines.extend(_mapping_lines(value, indent + INDENT))
        elif isinstance(value, list):
            lines.extend(_list_lines(head, value, indent))
        else:
            lines.extend(_scalar_lines(head, value, indent))
    return lines


def _list_lines(head: str, items: list[Any], indent: int) -> list[str]:
    flow = _flow_list(items)
    if flow is not None and len(f"{head} {flow}") <= WIDTH:
        return [f"{head} {flow}"]
    lines = [head]
    item_indent = indent + INDENT
    dash = " " * item_indent + "-"
    for item in items:
        if isinstance(item, dict) and item:
            inner = _mapping_lines(item, item_indent + INDENT)
            inner[0] = dash + " " + inner[0][item_indent + INDENT:]
            lines.extend(inner)
        elif isinstance(item, (dict, list)):
            raise CannotFormat("nested empty collections in a list")
        else:
            lines.extend(_scalar_lines(dash, item, item_indent))
    return lines


def dump(values: dict[str, Any], modeline: str | None = None) -> str:
    """Already-normalised values as canonical YAML text."""
    lines = [modeline] if modeline else []
    lines.extend(_mapping_lines(values, 0))
    return "\n".join(lines) + "\n"


# -- comments and verification --------------------------------------------------------------


def comment_lines(text: str) -> list[int]:
    """1-based line numbers of every comment in `text` (anything after a `#` outside text)."""
    spans: list[tuple[int, int]] = []
    try:
        for token in yaml.scan(text, Loader=_Loader):
            if not isinstance(token, yaml.ScalarToken):
                continue
            start, end = token.start_mark.index, token.end_mark.index
            if token.style in ("|", ">"):
                newline = text.find("\n", start)
                header_end = end if newline < 0 else min(newline, end)
                if "#" in text[start:header_end]:
                    spans.append((start, start))  # header comment: count it below
                start = header_end
            spans.append((start, end))
    except yaml.YAMLError:
        return [1]
    inside = bytearray(len(text))
    for start, end in spans:
        inside[start:end] = b"\x01" * (end - start)
    return sorted({text.count("\n", 0, i) + 1 for i, ch in enumerate(text)
                   if ch == "#" and not inside[i]})


def same(a: Any, b: Any) -> bool:
    """Equal values of the same types all the way down (1 is not 1.0 is not True)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def verify(text: str, expected: dict[str, Any]) -> None:
    """Raise CannotFormat unless both YAML 1.2 and YAML 1.1 readers get `expected` back."""
    from ketakb.pipeline.parse import parse_yaml

    parsed = parse_yaml(text.encode("utf-8"))
    if parsed.problems or not same(parsed.value, expected):
        raise CannotFormat("the canonical text would not read back as the same values")
    try:
        loaded = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as err:
        raise CannotFormat(f"YAML 1.1 readers would reject the canonical text: {err}") from err
    if not same(loaded, expected):
        raise CannotFormat("YAML 1.1 readers would read the canonical text differently")


def canonical_text(values: dict[str, Any], kind: str, modeline: str | None = None) -> str:
    """The canonical text of a record's values; raises CannotFormat if it is not safe."""
    if kind not in vocab.FOLDER_OF_KIND:
        raise CannotFormat(f"unknown kind {kind!r}")
    normal = normalise(values, kind)
    text = dump(normal, modeline)
    verify(text, normal)
    return text
