"""The raw limit: the least work any validator of these files must do.

Parse every record file with libyaml (PyYAML's CSafeLoader) and validate it with ketakb's
pydantic models, on every core, and nothing else: no line numbers, no cross-record checks, no
cache. `benchmarks/run.py` divides `ketakb validate`'s time by this script's.

    python benchmarks/raw_limit.py KB_DIR [--workers N]
"""

from __future__ import annotations

import argparse
import os
import sys
from multiprocessing import Pool
from pathlib import Path

import yaml

from ketakb.models import ADAPTERS

KINDS = {"sources": "source", "agents": "agent", "receptors": "receptor",
         "pathways": "pathway", "effects": "effect", "conditions": "condition"}


def check(paths: list[tuple[str, str]]) -> int:
    """How many of the files are invalid (parse or model errors)."""
    bad = 0
    for path, kind in paths:
        try:
            with open(path, "rb") as handle:
                value = yaml.load(handle.read(), Loader=yaml.CSafeLoader)
            ADAPTERS[kind].validate_python(value)
        except Exception:
            bad += 1
    return bad


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("kb", type=Path)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    files = [(str(p), KINDS[p.parent.name]) for p in sorted(args.kb.glob("*/*.yaml"))
             if p.parent.name in KINDS]
    size = max(16, min(256, len(files) // (args.workers * 16) or 1))
    chunks = [files[i:i + size] for i in range(0, len(files), size)]
    if args.workers < 2 or len(files) < 256:
        bad = sum(map(check, chunks))
    else:
        with Pool(args.workers) as pool:
            bad = sum(pool.imap(check, chunks))
    print(f"{len(files)} files, {bad} invalid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
