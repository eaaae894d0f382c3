"""Full-text search over the index: which records and claims match, ranked, and where.

The index keeps one FTS5 row per searchable field (`search`, `search_rows`: names,
synonyms, summaries, statements, quotes). A hit's score is its matching rows' BM25 weighted by
field and summed; each field that matched gets a snippet with the match marked «so». Plain
functions over a row reader, so `KnowledgeBase.search` stays a thin method.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Sequence
from contextlib import closing
from typing import Any, NamedTuple

from ketakb.pipeline.store import TOKENIZE, chunks, placeholders
from ketakb.shapes import Matched

#: Runs one SQL query with its parameters and returns the rows (`KnowledgeBase._rows`).
Rows = Callable[[str, tuple[Any, ...]], Sequence[tuple[Any, ...]]]

#: Search weights per indexed field: a hit in a name counts more than one in a quote.
FIELD_WEIGHTS = {"name": 4.0, "synonym": 3.0, "summary": 1.5, "statement": 1.0, "quote": 0.7}
#: Texts longer than this (in characters) get their search snippet from the first piece of at
#: most this length that matches: FTS5's snippet() weighs every match in a text against every
#: other, so a long text full of the word would take minutes.
LONG_TEXT = 2_500

_WORD = re.compile(r"\w+", re.UNICODE)
#: Characters that end a full-text token (spaces, punctuation): where a long text is cut.
_BREAK = re.compile(r"[\W_]", re.UNICODE)


class Hit(NamedTuple):
    """A record or claim a search found, with its summed, weighted BM25 score."""

    id: str
    kind: str
    score: float


class Snippet(NamedTuple):
    """A field of a search hit that matched, with the match marked «so»."""

    id: str
    field: str
    text: str


def text_pieces(text: str) -> list[str]:
    """`text` in pieces of at most LONG_TEXT characters, each cut after the last space or
    punctuation in its second half (never inside a word), if it has one."""
    pieces = []
    start = 0
    while len(text) - start > LONG_TEXT:
        end = start + LONG_TEXT
        cut = end
        for mark in _BREAK.finditer(text, start + LONG_TEXT // 2, end):
            cut = mark.end()
        pieces.append(text[start:cut])
        start = cut
    pieces.append(text[start:])
    return pieces


def long_snippet(text: str, terms: list[str]) -> str:
    """FTS5's snippet() of the first piece of a long text (see `text_pieces`) that holds a search
    term, with "…" for the text left out before and after it. Only a word longer than a piece
    can be cut apart so that no piece holds it: then the start of the text."""
    pieces = text_pieces(text)
    with closing(sqlite3.connect(":memory:")) as db:
        db.execute(f"CREATE VIRTUAL TABLE piece USING fts5 (text, tokenize = '{TOKENIZE}')")
        db.executemany("INSERT INTO piece (rowid, text) VALUES (?, ?)", enumerate(pieces))
        row = db.execute("SELECT rowid, snippet(piece, 0, '«', '»', '…', 16) FROM piece "
                         "WHERE piece MATCH ? ORDER BY rowid LIMIT 1",
                         (" OR ".join(terms),)).fetchone()
    at, snippet = row or (0, pieces[0][:LONG_TEXT // 10])
    if at > 0 and not snippet.startswith("…"):
        snippet = "…" + snippet
    if at < len(pieces) - 1 and not snippet.endswith("…"):
        snippet += "…"
    return snippet


def find(rows: Rows, text: str, limit: int) -> tuple[list[Hit], dict[str, list[Matched]]]:
    """The `limit` best hits for the words of `text` (all of them, else any) and, for each,
    the fields that matched."""
    words = _WORD.findall(text)
    if not words:
        return [], {}
    terms = ['"' + w.replace('"', '""') + '"*' for w in words]
    expression = " AND ".join(terms)
    top = best(rows, expression, limit)
    if not top:
        expression = " OR ".join(terms)
        top = best(rows, expression, limit)
    matched: dict[str, list[Matched]] = {hit.id: [] for hit in top}
    for snippet in snippets(rows, expression, terms, list(matched)):
        shown: Matched = {"field": snippet.field, "text": snippet.text}
        if shown not in matched[snippet.id]:
            matched[snippet.id].append(shown)
    return top, matched


def best(rows: Rows, expression: str, limit: int) -> list[Hit]:
    """The `limit` best-scoring records and claims: each one's matching rows' BM25,
    weighted by field, summed (in SQLite: a common word matches thousands of rows). Ties
    at the precision shown are ordered by id."""
    weights = " ".join(f"WHEN '{field}' THEN {weight}"
                       for field, weight in FIELD_WEIGHTS.items())
    try:
        return [Hit(*row) for row in rows(
            "WITH hit AS MATERIALIZED (SELECT rowid, bm25(search) AS rank FROM search "
            "WHERE search MATCH ?) "
            f"SELECT r.id, r.kind, round(sum(-hit.rank * CASE r.field {weights} "
            "ELSE 1.0 END), 3) AS score FROM hit JOIN search_rows r ON r.rowid = hit.rowid "
            "GROUP BY r.id ORDER BY score DESC, r.id LIMIT ?", (expression, limit))]
    except sqlite3.OperationalError:
        return []


def snippets(rows: Rows, expression: str, terms: list[str], ids: list[str]) -> list[Snippet]:
    """The rows of `ids` that match, best first, each with the text around the match:
    FTS5's snippet() of 16 tokens (`long_snippet` for a long text)."""
    found = []
    for chunk in chunks(ids):
        found += [Snippet(ident, field, text if short else long_snippet(text, terms))
                  for ident, field, short, text in rows(
            "SELECT r.id, r.field, length(search.text) <= ?1, CASE "
            "WHEN length(search.text) <= ?1 THEN snippet(search, 0, '«', '»', '…', 16) "
            "ELSE search.text END FROM search JOIN search_rows r ON r.rowid = search.rowid "
            f"WHERE search MATCH ?2 AND r.id IN ({placeholders(chunk)}) "
            "ORDER BY bm25(search), r.id, r.field, search.rowid",
            (LONG_TEXT, expression, *chunk))]
    return found
