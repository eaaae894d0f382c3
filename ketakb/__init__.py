"""ketakb: a structured, cited knowledge base of how ketamine works.

The library is usable without the command line (README, "Use from Python"): `validate_kb`
checks a KB folder and returns a `Report` of `Finding`s; `open_kb` opens a KB for queries as a
`KnowledgeBase`; `locate_kb` tells which KB either uses when given none. Paths may be `str` or
any `os.PathLike`. Nothing heavy is imported here, so `ketakb --help` stays fast: the names
below that live in other modules are imported on first use (`__getattr__`).
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ketakb.findings import Finding
    from ketakb.pipeline.validation import Report, validate_kb
    from ketakb.query.queries import KnowledgeBase, NotFound

__version__ = "0.1.0"
__all__ = ["KB_ENV", "Finding", "KbLocation", "KnowledgeBase", "NotFound", "Report",
           "__version__", "bundled_kb", "default_kb", "installed_kb", "locate_kb", "open_kb",
           "project_kb", "validate_kb"]

#: The public names that live in heavier modules, and the module each is imported from.
_LAZY = {"Finding": "ketakb.findings", "KnowledgeBase": "ketakb.query.queries",
         "NotFound": "ketakb.query.queries", "Report": "ketakb.pipeline.validation",
         "validate_kb": "ketakb.pipeline.validation"}

if not TYPE_CHECKING:  # mypy sees the imports above; an unknown name stays a type error
    def __getattr__(name: str) -> object:
        """Import a lazily exported name on first use; any other name is not here."""
        if name not in _LAZY:
            raise AttributeError(f"module 'ketakb' has no attribute {name!r}")
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # later lookups are plain attribute reads
        return value

KB_ENV = "KETAKB_KB"

#: How a KB was chosen, in the words `ketakb validate` reports it with.
GIVEN = "given on the command line"
FOUND = "found from the working directory"
FROM_ENV = f"from ${KB_ENV}"
BUNDLED = "the bundled KB"


@dataclass(frozen=True)
class KbLocation:
    """The KB a command works on, and how it was chosen (so a user can tell which one ran)."""

    path: Path
    origin: str


def installed_kb() -> Path | None:
    """The copy of the KB inside an installed package (a wheel), or None in a source checkout.

    It is read-only data: records are written only to a KB a user works on.
    """
    copy = Path(__file__).resolve().parent / "kb"
    return copy if _is_dir(copy) else None


def bundled_kb() -> Path:
    """The KB shipped with the package: inside it when installed, beside it in a checkout."""
    return installed_kb() or Path(__file__).resolve().parent.parent / "kb"


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # e.g. a folder we may not look into
        return False


def project_kb(start: Path | None = None) -> Path | None:
    """The nearest `kb/` of a ketakb project in `start` (default: the working directory) or above.

    A ketakb project's `kb/` is a folder named `kb` that holds at least one kind folder
    (`agents/`, `sources/` …), so an unrelated `kb/` is passed over. The search stops at the
    filesystem root and never returns the installed package's own copy, as git finds `.git`.
    """
    from ketakb.vocab import KINDS

    try:
        here = (start or Path.cwd()).absolute()
    except OSError:  # the working directory was removed
        return None
    installed = installed_kb()
    for folder in (here, *here.parents):
        candidate = folder / "kb"
        if any(_is_dir(candidate / kind) for kind in KINDS) and (
                installed is None or candidate.resolve() != installed):
            return candidate
    return None


def locate_kb(given: str | os.PathLike[str] | None = None) -> KbLocation:
    """The KB to use: `given`, else the project's `kb/` found from the working directory,
    else $KETAKB_KB, else the bundled KB. Nothing is checked: the caller reports a bad path."""
    if given is not None:
        return KbLocation(Path(given), GIVEN)
    found = project_kb()
    if found is not None:
        return KbLocation(found, FOUND)
    if os.environ.get(KB_ENV):
        return KbLocation(Path(os.environ[KB_ENV]), FROM_ENV)
    return KbLocation(bundled_kb(), BUNDLED)


def default_kb() -> Path:
    """The KB used when none is given: see `locate_kb`."""
    return locate_kb().path


def open_kb(path: str | os.PathLike[str] | None = None, *,
            use_cache: bool = True) -> KnowledgeBase:
    """Open a KB folder for queries (default: `default_kb()`).

    The compiled index is brought up to date first; only changed files are read again.
    """
    from ketakb.query.queries import KnowledgeBase

    return KnowledgeBase.open(locate_kb(path).path, use_cache=use_cache)
