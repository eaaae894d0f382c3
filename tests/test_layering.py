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

import pytest

import ketakb
from ketakb.pipeline.store import COARSE_RACY_NS, RACY_NS

PACKAGE = Path(ketakb.__file__).parent


def _is_module(dotted: str) -> bool:
    path = PACKAGE.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _imports(module: str) -> set[str]:
    """Every ketakb module that `module` (dotted, below `ketakb`) imports, at the top or inside
    a function (type-only imports included: they are a dependency too). `from ketakb.x import
    y` counts as `ketakb.x.y` when y is a module, else as `ketakb.x`."""
    source = PACKAGE.joinpath(*module.split("."))
    path = source / "__init__.py" if source.is_dir() else source.with_suffix(".py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                inner = f"{node.module}.{alias.name}"
                found.add(inner if node.module == "ketakb" or _is_module(inner)
                          else node.module)
    return {name for name in found if name.split(".")[0] == "ketakb"}


#: The sub-packages in the order data flows through them: each may import the shared
#: top-level modules and the sub-packages before it, never one after it.
LAYERS = ("pipeline", "authoring", "query", "output", "site", "cli")


@pytest.mark.parametrize("layer", LAYERS)
def test_each_layer_imports_only_what_comes_before_it(layer: str) -> None:
    later = {f"ketakb.{name}" for name in LAYERS[LAYERS.index(layer) + 1:]}
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        module = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        wrong = {name for name in _imports(module)
                 if ".".join(name.split(".")[:2]) in later}
        assert not wrong, f"{module} imports {sorted(wrong)}"


def test_the_shared_modules_import_no_layer() -> None:
    """vocab, models, findings and the other top-level modules sit under every layer."""
    layers = {f"ketakb.{name}" for name in LAYERS}
    for path in sorted(PACKAGE.glob("*.py")):
        if path.stem in {"__init__", "__main__"}:
            continue  # the public API and the entry point sit above everything
        wrong = {name for name in _imports(path.stem)
                 if ".".join(name.split(".")[:2]) in layers}
        assert not wrong, f"{path.stem} imports {sorted(wrong)}"


def test_the_store_imports_nothing_upstream_or_downstream() -> None:
    """Storage knows tables and files, not YAML, models, checks or queries."""
    assert _imports("pipeline.store") <= {"ketakb.__version__", "ketakb.files", "ketakb.findings"}


def test_the_scope_bookkeeping_sits_on_the_store() -> None:
    assert _imports("pipeline.scope") <= {"ketakb.findings", "ketakb.pipeline.store",
                                          "ketakb.pipeline.loader"}


def test_the_build_step_drives_the_loader_and_feeds_the_store() -> None:
    assert "ketakb.pipeline.loader" in _imports("pipeline.build")
    assert _imports("pipeline.build").isdisjoint({"ketakb.pipeline.checks", "ketakb.query.queries",
                                         "ketakb.pipeline.validation", "ketakb.output.render"})


def test_queries_on_an_unchanged_kb_never_load_the_parser(kb_copy: Path,
                                                          tmp_path: Path) -> None:
    """A query brings the index up to date first; with no file changed it only stats them."""
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from ketakb.query.queries import KnowledgeBase\n"
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
    assert "ketakb.pipeline.loader" in loaded()  # the first query builds the index
    assert loaded().isdisjoint({"ketakb.pipeline.loader", "ketakb.pipeline.parse", "ketakb.models"})
