"""Where output goes and how it may look: colour only on a terminal, records' text as data.

Rich is imported only when a rich console is really wanted, so piped and JSON output never
pay for it, and a pipe never gets ANSI codes or hard-wrapped lines.
"""

from __future__ import annotations

import os
import re
import sys
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe_text(text: object) -> str:
    """Control characters (terminal escapes among them) shown as visible escapes, not obeyed."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], str(text))


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
