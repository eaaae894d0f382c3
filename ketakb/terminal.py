r"""Where output goes and how it may look: colour only on a terminal, records' text as data.

Rich is imported only when a rich console is really wanted, so piped and JSON output never
pay for it, and a pipe never gets ANSI codes or hard-wrapped lines.

The output policy for text from records (and from file names, arguments, exceptions): it is
shown, never obeyed, and one field never spans lines. `UNSAFE` is what a terminal, a CI log or
a reader could take for something else: every C0 control (ESC, BEL, CR, LF and TAB among
them), DEL, every C1 control (U+0080-U+009F: U+009B is a one-byte CSI), the line and paragraph
separators U+2028/U+2029, the bidirectional embeddings, overrides and isolates (U+202A-U+202E,
U+2066-U+2069, which can make a line read differently from what it holds) and lone
surrogates (from file names that are not UTF-8). `safe_text` shows them as Python escapes
(`\x1b`, `\n`, `\x9b`, `\u202e`); `json_text` writes them as JSON `\uXXXX` escapes. Other
text, non-ASCII letters included, passes unchanged.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import sys
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

#: What `json.dumps` leaves raw of `UNSAFE` (it escapes C0 itself).
_UNSAFE_PAST_C0 = "\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
UNSAFE = re.compile(f"[\x00-\x1f{_UNSAFE_PAST_C0}]")
_UNSAFE_IN_JSON = re.compile(f"[{_UNSAFE_PAST_C0}]")


def safe_text(text: object) -> str:
    """`text` on one line with every `UNSAFE` character shown as an escape, not obeyed."""
    return UNSAFE.sub(lambda m: repr(m.group())[1:-1], str(text))


def json_text(value: Any, *, indent: int | None = None) -> str:
    """JSON of `value`, non-ASCII text kept readable but every `UNSAFE` character escaped.

    `ensure_ascii=False` alone leaves C1 controls, bidi overrides and U+2028 raw; they can only
    stand inside strings here, where `\\uXXXX` means the same character.
    """
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def fit_json(text: str, out: IO[str]) -> str:
    """JSON text as `out` can carry it: a character its encoding lacks becomes a `\\uXXXX`
    escape, since the `backslashreplace` other output falls back to is no JSON escape."""
    encoding = _encoding(out)
    if encoding is None or _encodes(text, encoding):
        return text
    return "".join(c if _encodes(c, encoding) else json.dumps(c)[1:-1] for c in text)


def shows_as_is(text: str, out: IO[str]) -> bool:
    """Whether serialised text (JSON, YAML: C0 controls already escaped) can go to `out`
    unchanged: no other `UNSAFE` character raw, and every character in its encoding."""
    encoding = _encoding(out)
    return not _UNSAFE_IN_JSON.search(text) and (encoding is None or _encodes(text, encoding))


def _encoding(out: IO[str]) -> str | None:
    """The stream's encoding, if Python knows it."""
    encoding = getattr(out, "encoding", None) or "utf-8"
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return None


def _encodes(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def is_terminal(stream: IO[str] | None = None) -> bool:
    stream = stream or sys.stdout
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def colour_wanted(stream: IO[str] | None = None) -> bool:
    """Colour on a terminal, unless NO_COLOR is set to a non-empty value (no-color.org)."""
    return not os.environ.get("NO_COLOR") and is_terminal(stream)


def console(stream: IO[str] | None = None) -> Console:
    """A rich console for terminal output; callers must `escape()` any text from records."""
    from rich.console import Console

    target = stream or sys.stdout
    return Console(file=target, no_color=not colour_wanted(target), highlight=False,
                   soft_wrap=not is_terminal(target))
