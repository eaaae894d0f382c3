"""Data flows one way — files → parsed nodes → models → index → queries → renderers: the
store never calls back up into the loader, and the query path over an unchanged KB never
loads the parser or the models."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import ketakb
from ketakb.store import COARSE_RACY_NS, RACY_NS

PACKAGE = Path(ketakb.__file__).parent


def _imports(module: str) -> set[str]:
    """Every ketakb module that `module` imports, at the top or inside a function (type-only
    imports included: they are a dependency too)."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.update(f"{node.module}.{alias.name}" if node.module == "ketakb"
                         else node.module for alias in node.names)
    return {name for name in found if name.split(".")[0] == "ketakb"}


def test_the_store_imports_nothing_upstream_or_downstream() -> None:
    """Storage knows tables and files, not YAML, models, checks or queries."""
    assert _imports("store") <= {"ketakb.__version__", "ketakb.files", "ketakb.findings"}


def test_the_scope_bookkeeping_sits_on_the_store() -> None:
    assert _imports("scope") <= {"ketakb.findings", "ketakb.store", "ketakb.loader"}


def test_the_build_step_drives_the_loader_and_feeds_the_store() -> None:
    assert "ketakb.loader" in _imports("build")
    assert _imports("build").isdisjoint({"ketakb.checks", "ketakb.queries",
                                         "ketakb.validation", "ketakb.render"})


def test_queries_on_an_unchanged_kb_never_load_the_parser(kb_copy: Path,
                                                          tmp_path: Path) -> None:
    """A query brings the index up to date first; with no file changed it only stats them."""
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from ketakb.queries import KnowledgeBase\n"
        "with KnowledgeBase.open(Path(sys.argv[1])) as kb:\n"
        "    kb.record('ketamine')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('ketakb'))))\n")
    env = {**os.environ, "KETAKB_CACHE_DIR": str(tmp_path / "cache")}

    def loaded() -> set[str]:
        result = subprocess.run([sys.executable, "-c", script, str(kb_copy)], env=env,
                                capture_output=True, text=True, timeout=120, check=True)
        return set(json.loads(result.stdout))

    # files changed just before a run are read again by the next (see `Store.racy`): wait
    # until they are settled, so that the second query has nothing to read
    newest = max(path.stat().st_ctime_ns for path in kb_copy.rglob("*"))
    margin = COARSE_RACY_NS if newest % 1_000_000_000 == 0 else RACY_NS
    time.sleep(max(0, newest + margin - time.time_ns()) / 1e9 + 0.01)
    assert "ketakb.loader" in loaded()  # the first query builds the index
    assert loaded().isdisjoint({"ketakb.loader", "ketakb.parse", "ketakb.models"})
