"""Which cross-record findings a validation must recompute, and keeping the others.

This module owns the bookkeeping beside the cross-record checks (`ketakb.pipeline.checks`):
while a refresh stores changed files (`ketakb.pipeline.build`), a `Tracker` notes what their
old and new rows define and refer to; a validation's `CrossScope` turns those notes into the
files whose findings a change can affect, serves the stored findings of the others, and
stores the new ones. Its tables (`cross_findings`, `dirty_*`) are part of the store's schema.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from ketakb.findings import Finding
from ketakb.pipeline.store import Store, finding_rows, findings_from_rows

if TYPE_CHECKING:
    from ketakb.pipeline.loader import RecordFile

#: A re-validation whose change can affect more files than this share recomputes every
#: cross-record finding (on two connections) instead of those files' (on one).
SCOPE_SHARE = 4


def _note_rows(store: Store, where: str, params: tuple[str, ...]) -> None:
    """Note the files `path {where}` as changed, with the ids their rows define and refer to
    and their claims' subject-object pairs: called before a file's rows are deleted (their
    old values) and before a scoped validation (the new ones)."""
    db = store.db
    db.execute(f"INSERT OR IGNORE INTO dirty_files SELECT path FROM files WHERE path {where}",
               params)
    db.execute(f"""INSERT INTO dirty_ids
        SELECT id, 0 FROM records WHERE path {where} UNION ALL
        SELECT id, 0 FROM claims WHERE path {where} UNION ALL
        SELECT key, 0 FROM identifiers WHERE path {where} UNION ALL
        SELECT subject, 1 FROM claims WHERE path {where} UNION ALL
        SELECT object, 1 FROM claims WHERE path {where} UNION ALL
        SELECT source, 1 FROM evidence WHERE path {where} UNION ALL
        SELECT source, 1 FROM figures WHERE path {where} UNION ALL
        SELECT source, 1 FROM regulatory WHERE path {where} UNION ALL
        SELECT indication, 1 FROM regulatory WHERE path {where} AND indication IS NOT NULL
        UNION ALL SELECT standing_by, 1 FROM records WHERE path {where}
                  AND standing_by IS NOT NULL
        UNION ALL SELECT successor, 1 FROM claims WHERE path {where} AND successor IS NOT NULL
        UNION ALL SELECT supersedes, 1 FROM claims WHERE path {where}
                  AND supersedes IS NOT NULL""", params * 12)
    db.execute(f"INSERT INTO dirty_pairs SELECT subject, object FROM claims WHERE path {where}",
               params)


def _drop_notes(store: Store) -> None:
    """Stop keeping cross-record findings until the next validation computes them all."""
    for table in ("dirty_files", "dirty_ids", "dirty_pairs"):
        store.db.execute(f"DELETE FROM {table}")
    store.db.execute("DELETE FROM meta WHERE key = 'cross'")


class Tracker:
    """Notes, during a refresh, the changes that the kept cross-record findings depend on;
    inactive when no findings are kept."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.active = store.meta("cross") is not None

    def too_many(self, changes: int, files: int) -> None:
        """Stop noting when `changes` of `files` changed: the next validation checks
        everything anyway, and noting would cost more."""
        if self.active and changes * SCOPE_SHARE > files:
            _drop_notes(self._store)
            self.active = False

    def replaced(self, key: str) -> None:
        """The file at `key` is about to lose its stored rows: note their old values."""
        if self.active:
            _note_rows(self._store, "= ?", (key,))

    def added(self, key: str) -> None:
        """The file at `key` is new to the index."""
        if self.active:
            self._store.db.execute("INSERT OR IGNORE INTO dirty_files VALUES (?)", (key,))


class CrossScope:
    """The cross-record findings of one validation: which to compute, which to keep.

    `by_key`: the KB's files (from the refresh), by their path inside the KB.
    """

    def __init__(self, store: Store, by_key: dict[str, RecordFile]) -> None:
        self._store = store
        self._by_key = by_key
        self._settings = ""
        self.scoped = False

    def _display(self, key: str) -> str:
        return self._by_key[key].display

    def decide(self, settings: str, changed_ids: list[str]) -> bool:
        """Decide which cross-record findings the coming checks must compute.

        True: only those of the files in `temp.cross_scope`, the files whose findings the
        changes since the last validation can affect (the others are kept, `kept`).
        False: all of them, because nothing is kept, the `settings` they were computed with
        differ (sources folder, displayed paths, whether unused records are reported), or
        the change reaches too many files. `changed_ids`: ids whose archived snapshot changed.

        A finding of a file depends on the file's own rows and on the rows elsewhere that
        define the ids it names, cite its records' ids, or state a claim on the same subject
        and object; so the scope holds the changed files, the sources sharing a DOI, PMID or
        PMCID with a changed file's old or new rows, the files naming an id a changed file
        defined (as a claim's subject, object, evidence or figure source, successor or
        superseded claim, or a source's superseding source: a changed design or standing
        re-checks every claim citing the source), the records and claims a changed file
        referred to, and the claims on a pair a changed file's claims were on.
        """
        self._settings = settings
        self.scoped = False
        store = self._store
        if not store.persistent or store.meta("cross") != settings:
            return False
        db = store.db
        _note_rows(store, "IN dirty_files", ())  # their new rows (the old ones were noted)
        db.executemany("INSERT INTO dirty_ids VALUES (?, 0)", [
            *((posixpath.splitext(posixpath.basename(key))[0],)  # a broken file's id
              for (key,) in db.execute("SELECT path FROM dirty_files").fetchall()),
            *((ident,) for ident in changed_ids)])
        db.executescript("""
            DROP TABLE IF EXISTS temp.cross_scope;
            CREATE TEMP TABLE cross_scope (path TEXT PRIMARY KEY) WITHOUT ROWID;
            CREATE TEMP TABLE defined (id TEXT PRIMARY KEY) WITHOUT ROWID;
            CREATE TEMP TABLE referenced (id TEXT PRIMARY KEY) WITHOUT ROWID;
            INSERT OR IGNORE INTO defined SELECT id FROM dirty_ids WHERE NOT referenced;
            INSERT OR IGNORE INTO referenced SELECT id FROM dirty_ids WHERE referenced;
            INSERT OR IGNORE INTO cross_scope
                SELECT path FROM dirty_files
                UNION SELECT path FROM records WHERE id IN defined
                UNION SELECT path FROM records WHERE id IN referenced
                UNION SELECT path FROM claims WHERE id IN defined
                UNION SELECT path FROM identifiers WHERE key IN defined
                UNION SELECT path FROM claims WHERE subject IN defined
                UNION SELECT path FROM claims WHERE object IN defined
                UNION SELECT path FROM evidence WHERE source IN defined
                UNION SELECT path FROM figures WHERE source IN defined
                UNION SELECT path FROM regulatory WHERE source IN defined
                UNION SELECT path FROM regulatory WHERE indication IN defined
                UNION SELECT path FROM records WHERE standing_by IN defined
                UNION SELECT path FROM claims WHERE successor IN defined
                UNION SELECT path FROM claims WHERE supersedes IN defined
                UNION SELECT path FROM claims WHERE id IN referenced
                UNION SELECT c.path FROM dirty_pairs p
                      JOIN claims c ON c.subject = p.subject AND c.object = p.object;
            DROP TABLE temp.defined;
            DROP TABLE temp.referenced;""")
        reached = db.execute("SELECT count(*) FROM temp.cross_scope").fetchone()[0]
        if reached * SCOPE_SHARE > len(self._by_key):
            db.execute("DROP TABLE temp.cross_scope")
            return False
        self.scoped = True
        return True

    def kept(self) -> list[Finding]:
        """The stored cross-record findings of the files outside the scope (see `decide`):
        placed when they were found, and still true."""
        if not self.scoped:
            return []
        return [finding for key, text in self._store.db.execute(
                    "SELECT path, findings FROM cross_findings "
                    "WHERE path NOT IN temp.cross_scope")
                for finding in findings_from_rows(text, self._display(key))]

    def keep(self, findings: list[Finding]) -> None:
        """Keep the placed cross-record findings just computed, for the next validation;
        from now on, changes are noted against them."""
        store = self._store
        if not store.persistent:
            return
        db = store.db
        if self.scoped:
            db.execute("DELETE FROM cross_findings WHERE path IN temp.cross_scope")
            db.execute("DROP TABLE temp.cross_scope")
        else:
            db.execute("DELETE FROM cross_findings")
        by_file: dict[str, list[Finding]] = {}
        for finding in findings:
            by_file.setdefault(finding.file, []).append(finding)
        if by_file:
            key_of = {record_file.display: key for key, record_file in self._by_key.items()}
            db.executemany("INSERT INTO cross_findings VALUES (?, ?)",
                           [(key_of[file], finding_rows(group))
                            for file, group in by_file.items()])
        _drop_notes(store)
        db.execute("INSERT INTO meta VALUES ('cross', ?)", (self._settings,))
        self.scoped = False
        db.commit()  # with the snapshots stored during the checks
