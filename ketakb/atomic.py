"""Atomic writes, done one way by every writer (`fmt`, `new`, `schema`, the exports, the site).

A temporary file (or folder) beside the target is renamed over the target only when it is
complete, so an interrupted run leaves every file whole. The result gets the permissions a
plain `open()` (or `mkdir`) would give it: the replaced file's own, else 0666 (0777 for a
folder) less the user's umask (the temporary one alone would leave 0600 or 0700, which other
users and a web server cannot read).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


def _final_mode(path: Path, created: int = 0o666) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        umask = os.umask(0)  # the only way to read it; set straight back
        os.umask(umask)
        return created & ~umask


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside `path`, renamed over it when the block ends without error.

    As with `open()`, a symbolic link stays a link and its target is replaced (`fmt` follows
    only links that stay inside the KB), and a file its owner made read-only is refused.
    """
    path = Path(os.path.realpath(path))
    if path.exists() and not os.access(path, os.W_OK):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(name)
        with contextlib.suppress(OSError):  # a file system without modes keeps its own
            os.chmod(name, _final_mode(path))
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_open(path: Path) -> Iterator[IO[str]]:
    """`path` opened for UTF-8 text without newline translation, flushed to disk before it
    replaces the old file."""
    with atomic_path(path) as temp, open(temp, "w", encoding="utf-8", newline="") as handle:
        yield handle
        handle.flush()
        os.fsync(handle.fileno())


def atomic_write(path: Path, text: str) -> None:
    """Replace `path` by `text` atomically."""
    with atomic_open(path) as handle:
        handle.write(text)


@contextlib.contextmanager
def atomic_folder(path: Path) -> Iterator[Path]:
    """A new empty folder beside `path`, put in its place when the block ends without error;
    a folder already there is removed just before. Whether it may be replaced is the
    caller's to decide."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}."))
    try:
        yield staging
        with contextlib.suppress(OSError):  # a file system without modes keeps its own
            os.chmod(staging, _final_mode(path, 0o777))
        if path.is_dir():
            shutil.rmtree(path)
        staging.rename(path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
