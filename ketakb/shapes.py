"""The documented JSON shapes of records and claims, shared by queries and exports.

Keys are always present (null or empty when the record leaves them out), so scripts can rely
on them. Changing a shape is a breaking change: add keys, never rename or remove them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ketakb.units import normalise

EVIDENCE_KEYS = ("source", "stance", "quote", "locator", "notes")


def display_name(record: Mapping[str, Any]) -> str:
    """What a record is called wherever it is shown or indexed: its name (a source's title),
    else its id."""
    return str(record.get("name") or record.get("title") or record["id"])


def claim_json(claim: dict[str, Any], host: str) -> dict[str, Any]:
    """A claim as {"id", "host", "subject", "predicate", "object", "statement", "status",
    "context", "figures", "evidence": [{"source", "stance", "quote", "locator", "notes"}],
    "inventory", "notes"}; a figure is its YAML fields plus, where its unit converts,
    "normalised" (and "p_scale" for binding measures; see `ketakb.units.normalise`)."""
    return {
        "id": claim["id"],
        "host": host,
        "subject": claim["subject"],
        "predicate": claim["predicate"],
        "object": claim["object"],
        "statement": claim["statement"],
        "status": claim["status"],
        "context": claim.get("context"),
        "figures": [{**figure, **normalise(figure)} for figure in claim.get("figures", ())],
        "evidence": [{key: item.get(key) for key in EVIDENCE_KEYS}
                     for item in claim["evidence"]],
        "inventory": claim.get("inventory", []),
        "notes": claim.get("notes"),
    }


def record_json(record: dict[str, Any], kind: str) -> dict[str, Any]:
    """A record as its YAML fields plus "kind", without its claims (they are listed apart)."""
    return {"kind": kind, **{key: value for key, value in record.items() if key != "claims"}}
