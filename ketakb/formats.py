"""The output formats a user chooses among, one enum for each family: the CLI offers their
members, and each table that maps a format to the code writing it is keyed by the enum and
checked complete when its module is imported, so a format without a writer never reaches a
user. Plain enums with no imports, so that the CLI can build its options without loading the
writers.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TypeVar

_Format = TypeVar("_Format", bound=Enum)
_Writer = TypeVar("_Writer")


class ReportFormat(str, Enum):
    """How `validate` reports its findings (`ketakb.output.reporters`)."""

    text = "text"
    json = "json"
    github = "github"


class ExportFormat(str, Enum):
    """What `export` writes (`ketakb.output.export`)."""

    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    sqlite = "sqlite"
    kgx = "kgx"


def every_format(formats: type[_Format],
                 writers: Mapping[_Format, _Writer]) -> dict[_Format, _Writer]:
    """`writers`, when it has one for each member of `formats`; else ImportError (the table
    is built when its module is imported)."""
    missing = [member.name for member in formats if member not in writers]
    if missing:
        raise ImportError(f"no writer for the {formats.__name__} {', '.join(missing)}")
    return dict(writers)
