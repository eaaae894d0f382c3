"""Quote verification: is a curator's quote really in the archived source text?

Both sides are normalised the same way, so typography (curly quotes, non-breaking spaces,
line breaks) never decides the answer, while every word and letter still must match.
"""

from __future__ import annotations

import re
import unicodedata

from ketakb.files import open_regular

_TYPOGRAPHY = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u00ad": None,
})
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """NFKC, straight quotes and hyphens, one space for every run of white space."""
    text = unicodedata.normalize("NFKC", text).translate(_TYPOGRAPHY)
    return _SPACE.sub(" ", text).strip()


def read_snapshot(file: str) -> str | None:
    """An archived snapshot's text, normalised (None when it cannot be read): the one way
    both `validate --sources-dir` and `stats --sources-dir` read a snapshot."""
    try:
        with open_regular(file) as handle:  # a FIFO must not hang the run
            return normalise(handle.read().decode("utf-8", errors="replace"))
    except OSError:
        return None


def read_snapshots(files: list[tuple[str, int, int]]) -> list[tuple[str, int, int, str | None]]:
    """Read and normalise archived snapshots: (file, size, mtime) → (…, text, or None when
    unreadable). Touches no database, so it can run in a thread beside the SQL checks."""
    return [(file, size, mtime, read_snapshot(file)) for file, size, mtime in files]


def quote_in(quote: str, text: str) -> bool:
    """Whether a quote, normalised, is in a snapshot's normalised text: the test behind
    KB038 and the "verified" count of `stats`."""
    return quote in text
