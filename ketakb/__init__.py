"""ketakb: a structured, cited knowledge base of how ketamine works.

The library is usable without the command line: `validate_kb` checks a KB folder and returns
a report value; `open_kb()` opens a KB for queries (`ketakb.queries.KnowledgeBase`).
Nothing heavy is imported here: each entry point imports what it needs when called.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ketakb.queries import KnowledgeBase

__version__ = "0.1.0"
__all__ = ["KB_ENV", "__version__", "bundled_kb", "default_kb", "open_kb"]

KB_ENV = "KETAKB_KB"


def bundled_kb() -> Path:
    """The KB shipped with the package: inside it when installed, beside it in a checkout."""
    package = Path(__file__).resolve().parent
    installed = package / "kb"
    return installed if installed.is_dir() else package.parent / "kb"


def default_kb() -> Path:
    """$KETAKB_KB when set, else the bundled KB."""
    return Path(os.environ[KB_ENV]) if os.environ.get(KB_ENV) else bundled_kb()


def open_kb(path: str | os.PathLike[str] | None = None, *,
            use_cache: bool = True) -> KnowledgeBase:
    """Open a KB folder for queries (default: $KETAKB_KB, else the bundled KB).

    The compiled index is brought up to date first; only changed files are read again.
    """
    from ketakb.queries import KnowledgeBase

    return KnowledgeBase.open(Path(path) if path is not None else default_kb(),
                              use_cache=use_cache)
