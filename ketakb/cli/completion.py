"""Shell completion of values: record ids, kinds, statuses and predicates.

Each completer runs on every Tab press, so it stays cheap: record ids are the file stems under
the KB's kind folders (a record's id is its file stem), read without parsing a file or opening
the index. A KB that cannot be read yields no suggestions, never an error.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import typer

from ketakb import locate_kb, vocab

Suggestions = list[tuple[str, str]]


def _kb(ctx: typer.Context) -> Path:
    """The KB the command line names so far (--kb before the word being completed), else
    the one the command would find."""
    return locate_kb(ctx.params.get("kb") or None).path


def _stems(ctx: typer.Context, incomplete: str, folders: Iterable[str]) -> Suggestions:
    root = _kb(ctx)
    found: Suggestions = []
    for folder in folders:
        try:
            with os.scandir(root / folder) as entries:
                stems = [e.name[:-5] for e in entries if e.name.endswith(".yaml")]
        except OSError:  # no such folder, not a folder, unreadable: nothing to suggest
            continue
        # only well-formed ids: any other name is no record, and may not be printable
        found += [(stem, vocab.KINDS[folder]) for stem in stems
                  if stem.startswith(incomplete) and vocab.ID_RE.fullmatch(stem)]
    return sorted(found)


def record_ids(ctx: typer.Context, incomplete: str) -> Suggestions:
    """Ids of every record, with its kind."""
    return _stems(ctx, incomplete, vocab.KINDS)


def source_ids(ctx: typer.Context, incomplete: str) -> Suggestions:
    return _stems(ctx, incomplete, ["sources"])


def agent_ids(ctx: typer.Context, incomplete: str) -> Suggestions:
    return _stems(ctx, incomplete, ["agents"])


def kinds(incomplete: str) -> Suggestions:
    """Kinds of record, with their folder (either is accepted)."""
    return [(kind, f"kb/{folder}/") for folder, kind in vocab.KINDS.items()
            if kind.startswith(incomplete)]


def statuses(incomplete: str) -> Suggestions:
    return [(name, meaning) for name, meaning in vocab.STATUSES.items()
            if name.startswith(incomplete)]


def predicates(incomplete: str) -> Suggestions:
    return [(name, p.description) for name, p in vocab.PREDICATES.items()
            if name.startswith(incomplete)]
