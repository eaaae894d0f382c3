"""Checks across records: ids, references, hosts, statuses, duplicates, conflicts, quotes.

They read plain record values (what the models accepted), never files, so they run the same
on freshly parsed records and on records restored from the cache. Each finding carries a
`loc`; its line and column are filled in afterwards by `validation.place_findings`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ketakb import vocab
from ketakb.findings import Finding, Loc
from ketakb.quotes import normalise


@dataclass(frozen=True)
class Entry:
    """A valid record with where it came from."""

    file: str
    kind: str
    data: dict[str, Any]


def _finding(file: str, loc: Loc, code: str, message: str, hint: str = "") -> Finding:
    return Finding(file, 0, 0, code, message, hint, loc)


def iter_claims(entries: Iterable[Entry]) -> Iterator[tuple[Entry, int, dict[str, Any]]]:
    for entry in entries:
        for index, claim in enumerate(entry.data.get("claims", ())):
            yield entry, index, claim


def check_all(entries: list[Entry], sources_dir: Path | None = None,
              broken: dict[str, str] | None = None) -> list[Finding]:
    """Every cross-record finding of the KB, in no particular order.

    `broken` maps the ids of records that failed their own checks to their kinds: references
    to them count as resolved, so one bad file does not cascade into findings elsewhere.
    """
    by_id: dict[str, Entry] = {}
    for entry in entries:  # the first record with an id keeps it; KB031 flags the later ones,
        by_id.setdefault(entry.data["id"], entry)  # whose kind must not re-judge references
    for ident, kind in (broken or {}).items():
        by_id.setdefault(ident, Entry("", kind, {"id": ident}))
    findings = _unique_ids(entries)
    findings += _claims(entries, by_id)
    findings += _duplicates_and_opposites(entries)
    findings += _quotes(entries, by_id, sources_dir)
    if not broken:
        findings += _unused(entries)
    return findings


def _unique_ids(entries: list[Entry]) -> list[Finding]:
    seen: dict[str, tuple[str, Loc]] = {}
    findings = []
    places: list[tuple[str, str, Loc]] = [(e.data["id"], e.file, ("id",)) for e in entries]
    places += [(c["id"], e.file, ("claims", i, "id")) for e, i, c in iter_claims(entries)]
    for ident, file, loc in sorted(places, key=lambda p: (p[1], p[2] != ("id",))):
        key = ident.casefold()
        if key in seen:
            first_file, _ = seen[key]
            findings.append(_finding(file, loc, "KB031",
                                     f"id '{ident}' is already used in {first_file}",
                                     "ids are unique across the whole KB, claim ids included"))
        else:
            seen[key] = (file, loc)
    return findings


def _reference(by_id: dict[str, Entry], entry: Entry, loc: Loc, ref: str,
               allowed: Iterable[str], role: str) -> list[Finding]:
    target = by_id.get(ref)
    if target is None:
        return [_finding(entry.file, loc, "KB032", f"{role} '{ref}' is not a record in the KB",
                         "check the spelling, or add the record")]
    allowed = tuple(allowed)
    if target.kind not in allowed:
        article = "an" if target.kind[0] in "aeiou" else "a"  # "an agent", "an effect"
        return [_finding(entry.file, loc, "KB033",
                         f"{role} '{ref}' is {article} {target.kind}; expected "
                         + " or ".join(allowed), "")]
    return []


def _claims(entries: list[Entry], by_id: dict[str, Entry]) -> list[Finding]:
    findings: list[Finding] = []
    for entry, i, claim in iter_claims(entries):
        loc: Loc = ("claims", i)
        predicate = vocab.PREDICATES[claim["predicate"]]
        findings += _reference(by_id, entry, (*loc, "subject"), claim["subject"],
                               predicate.subjects, f"subject of {predicate.name}")
        findings += _reference(by_id, entry, (*loc, "object"), claim["object"],
                               predicate.objects, f"object of {predicate.name}")
        host = entry.data["id"]
        if host not in (claim["subject"], claim["object"]):
            findings.append(_finding(entry.file, (*loc, "id"), "KB034",
                                     f"claim '{claim['id']}' involves neither '{host}' "
                                     "as subject nor as object",
                                     f"move it to the record of '{claim['subject']}' "
                                     f"or '{claim['object']}'"))
        for j, evidence in enumerate(claim["evidence"]):
            findings += _reference(by_id, entry, (*loc, "evidence", j, "source"),
                                   evidence["source"], ("source",), "evidence source")
        for j, figure in enumerate(claim.get("figures", ())):
            findings += _reference(by_id, entry, (*loc, "figures", j, "source"),
                                   figure["source"], ("source",), "figure source")
        problem = _status_problem(claim, by_id)
        if problem:
            findings.append(_finding(entry.file, (*loc, "status"), "KB035", *problem))
    return findings


def _status_problem(claim: dict[str, Any], by_id: dict[str, Entry]) -> tuple[str, str] | None:
    """Why the evidence does not justify the status, or None when it does."""
    status = claim["status"]
    stances: dict[str, set[str]] = defaultdict(set)
    for evidence in claim["evidence"]:
        source = by_id.get(evidence["source"])
        if source is None or source.kind != "source" or "type" not in source.data:
            return None  # reported elsewhere; judging would only add noise
        stances[evidence["stance"]].add(source.data["type"])
    supports, disputes = stances["supports"], stances["disputes"]
    peer = vocab.PEER_REVIEWED_TYPES
    if status in vocab.NEEDS_PEER_SUPPORT and not supports & peer:
        return (f"'{status}' needs supporting evidence from a peer-reviewed source",
                "add a journal article, review or trial that supports it, "
                "or lower the status to 'unsupported' or 'hypothesis'")
    if status in vocab.NEEDS_AUTHORITY_DISPUTE and not disputes & vocab.AUTHORITATIVE_TYPES:
        return (f"'{status}' needs disputing evidence from a peer-reviewed or regulatory source",
                "add the source that contradicts the claim with stance: disputes")
    if status == "contested" and not supports & peer:
        return ("'contested' needs peer-reviewed evidence on both sides",
                "add the peer-reviewed source that supports the claim, or mark it 'refuted'")
    if status == "unsupported" and supports & peer:
        return ("'unsupported' claims have no peer-reviewed support, but this one has",
                "raise the status to 'supported' or 'established'")
    if status in ("unsupported", "hypothesis") and not supports:
        return (f"'{status}' claims need at least one source that asserts them", "")
    return None


def _context_key(claim: dict[str, Any]) -> str:
    return json.dumps(claim.get("context") or {}, sort_keys=True)


def _duplicates_and_opposites(entries: list[Entry]) -> list[Finding]:
    findings: list[Finding] = []
    first: dict[tuple[str, str, str, str], tuple[str, str]] = {}
    by_pair: dict[tuple[str, str], list[tuple[Entry, int, dict[str, Any]]]] = defaultdict(list)
    for entry, i, claim in iter_claims(entries):
        key = (claim["subject"], claim["predicate"], claim["object"], _context_key(claim))
        if key in first:
            other_id, other_file = first[key]
            findings.append(_finding(entry.file, ("claims", i, "id"), "KB036",
                                     f"claim '{claim['id']}' repeats '{other_id}' in {other_file}",
                                     "add this evidence to the existing claim instead"))
        else:
            first[key] = (claim["id"], entry.file)
        by_pair[(claim["subject"], claim["object"])].append((entry, i, claim))
    for group in by_pair.values():
        if len(group) < 2:
            continue
        for n, (entry, i, claim) in enumerate(group):
            opposites = vocab.PREDICATES[claim["predicate"]].opposites
            for _, _, other in group[:n]:
                if other["predicate"] not in opposites:
                    continue
                if {claim["status"], other["status"]} & vocab.CONFLICT_TOLERANT_STATUSES:
                    continue
                findings.append(_finding(
                    entry.file, ("claims", i, "predicate"), "KB037",
                    f"'{claim['id']}' ({claim['predicate']}) contradicts "
                    f"'{other['id']}' ({other['predicate']})",
                    "mark the one the literature rejects 'refuted' or 'outdated', "
                    "or both 'contested'"))
    return findings


def _quotes(entries: list[Entry], by_id: dict[str, Entry],
            sources_dir: Path | None) -> list[Finding]:
    findings: list[Finding] = []
    texts: dict[str, str | None] = {}
    if sources_dir is not None:
        for entry in entries:
            archive = entry.data.get("archive") if entry.kind == "source" else None
            if archive is None:
                continue
            try:
                raw = (sources_dir / archive).read_bytes()
                texts[entry.data["id"]] = normalise(raw.decode("utf-8", errors="replace"))
            except OSError:
                texts[entry.data["id"]] = None
                findings.append(_finding(entry.file, ("archive",), "KB039",
                                         f"archive '{archive}' is not in {sources_dir}",
                                         "add the snapshot or correct the file name"))
    for entry, i, claim in iter_claims(entries):
        for j, evidence in enumerate(claim["evidence"]):
            source = by_id.get(evidence["source"])
            if source is None or source.kind != "source" or not source.data.get("archive"):
                continue
            loc: Loc = ("claims", i, "evidence", j)
            quote = evidence.get("quote")
            if quote is None:
                findings.append(_finding(entry.file, loc, "KB040",
                                         f"evidence from '{source.data['id']}' has no quote",
                                         "quote the source's own words (at most 30)"))
                continue
            text = texts.get(source.data["id"])
            if text is not None and normalise(quote) not in text:
                findings.append(_finding(entry.file, (*loc, "quote"), "KB038",
                                         f"quote not found in {source.data['archive']}",
                                         "copy the words exactly, typos included"))
    return findings


def _unused(entries: list[Entry]) -> list[Finding]:
    cited: set[str] = set()
    involved: set[str] = set()
    for _, _, claim in iter_claims(entries):
        involved.update((claim["subject"], claim["object"]))
        cited.update(e["source"] for e in claim["evidence"])
        cited.update(f["source"] for f in claim.get("figures", ()))
    findings = []
    for entry in entries:
        ident = entry.data["id"]
        if entry.kind == "source" and ident not in cited:
            findings.append(_finding(entry.file, ("id",), "KB050",
                                     f"source '{ident}' is not cited by any claim",
                                     "cite it as evidence, or remove it"))
        elif entry.kind != "source" and ident not in involved:
            findings.append(_finding(entry.file, ("id",), "KB051",
                                     f"no claim involves '{ident}'",
                                     "add a claim that links it to the rest of the KB"))
    return findings
