"""The SQLite export gives Datasette users a search box on its tables: an FTS index per table
that Datasette's own detection finds, and that its `?_search=` query answers from."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ketakb.cli import app
from ketakb.output.export import FTS_COLUMNS
from tests.conftest import VALID_KB

runner = CliRunner()


def datasette_fts_table(db: sqlite3.Connection, table: str) -> str | None:
    """The FTS table Datasette's `detect_fts` finds for `table` (its SQL, datasette/utils)."""
    row = db.execute(f"""
        select name from sqlite_master
            where rootpage = 0
            and (
                sql like '%VIRTUAL TABLE%USING FTS%content="{table}"%'
                or sql like '%VIRTUAL TABLE%USING FTS%content=[{table}]%'
                or (
                    tbl_name = "{table}"
                    and sql like '%VIRTUAL TABLE%USING FTS%'
                )
            )""").fetchone()
    return None if row is None else str(row[0])


def datasette_search(db: sqlite3.Connection, table: str, terms: str) -> list[str]:
    """The ids `?_search=terms` shows on the table page: Datasette's rowid subquery."""
    fts = datasette_fts_table(db, table)
    key = "claim" if table == "evidence" else "id"
    rows = db.execute(f"select {key} from {table} where rowid in "
                      f"(select rowid from {fts} where {fts} match :search) order by {key}",
                      {"search": terms})
    return [row[0] for row in rows]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    out = tmp_path / "kb.sqlite"
    result = runner.invoke(app, ["export", "-f", "sqlite", "-o", str(out),
                                 "--kb", str(VALID_KB)])
    assert result.exit_code == 0, result.output
    connection = sqlite3.connect(out)
    yield connection
    connection.close()


def test_datasette_finds_a_search_index_for_each_table(db: sqlite3.Connection) -> None:
    for table, columns in FTS_COLUMNS.items():
        assert datasette_fts_table(db, table) == f"{table}_fts"
        db.execute(f"INSERT INTO {table}_fts ({table}_fts) VALUES ('integrity-check')")
        for column in columns:  # every indexed column is a column of the table
            db.execute(f"select {column} from {table}").fetchall()


def test_the_search_box_finds_rows_by_their_text(db: sqlite3.Connection) -> None:
    assert datasette_search(db, "records", "antidepress*") == [
        "berman-2000", "rapid-antidepressant-effect"]
    assert datasette_search(db, "records", "NMDAR") == ["nmda-receptor"]  # a synonym
    assert datasette_search(db, "claims", "depression") == ["ketamine-treats-depression"]
    assert datasette_search(db, "evidence", "BDNF") == [
        "nmda-receptor-leads-to-rapid-antidepressant-effect"]
    assert datasette_search(db, "sources", "Berman") == ["berman-2000"]
