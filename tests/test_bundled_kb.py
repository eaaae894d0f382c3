"""The bundled KB: it validates cleanly, and it records every claim of the research inventory."""

from __future__ import annotations

from pathlib import Path

import pytest

from ketakb.cli.options import bundled_kb
from ketakb.pipeline.build import refresh
from ketakb.pipeline.store import Store
from ketakb.pipeline.validation import validate_kb

INVENTORY = Path(__file__).parent / "data" / "inventory.tsv"
SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"


def inventory_ids() -> list[str]:
    lines = INVENTORY.read_text(encoding="utf-8").splitlines()
    return [line.split("\t", 1)[0] for line in lines if line.strip()]


def test_inventory_lists_the_99_claims_of_the_five_documents() -> None:
    ids = inventory_ids()
    assert len(ids) == len(set(ids)) == 99
    assert ids[0] == "S0-01" and ids[-1] == "S4-16"


def test_every_inventory_claim_is_recorded_in_the_kb() -> None:
    store = Store.open(bundled_kb(), use_cache=False)
    refresh(store)
    recorded = {
        code
        for _, record in store.records()
        for claim in record.get("claims", ())
        for code in claim.get("inventory", ())
    }
    missing = [code for code in inventory_ids() if code not in recorded]
    assert not missing, f"inventory claims with no KB claim: {missing}"


def test_bundled_kb_is_clean_under_strict() -> None:
    sources = SEEDS if SEEDS.is_dir() else None
    if sources is None:
        pytest.skip("../shared/seeds is not beside the checkout; quotes cannot be verified")
    report = validate_kb(bundled_kb(), sources_dir=sources, use_cache=False)
    assert report.ok(strict=True), "\n".join(
        f"{f.file}:{f.line}: {f.code} {f.message}" for f in report.findings[:20])
