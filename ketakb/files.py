"""Reading and naming files safely, for every module that touches the file system.

Light on purpose (no YAML parser): the query path imports it too.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO


def printable_path(text: str) -> str:
    """A path as text that can always be written out: a name that is not valid UTF-8 (kept
    by Python as lone surrogates) shows its undecodable bytes as \\xNN escapes."""
    if text.isascii():
        return text
    return os.fsencode(text).decode("utf-8", "backslashreplace")


def undecodable(name: str) -> bool:
    """Whether a path or name from the system is not valid UTF-8 (SQLite and JSON need it)."""
    if name.isascii():
        return False
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _no_wait(path: str, flags: int) -> int:
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


@contextmanager
def open_regular(location: str) -> Iterator[BinaryIO]:
    """Open a regular file for reading. Anything else raises OSError at once: opening a FIFO
    for reading would wait, forever, for a writer."""
    with open(location, "rb", opener=_no_wait) as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", location)
        yield handle
