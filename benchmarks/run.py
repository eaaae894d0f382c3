"""Time the installed `ketakb` as whole processes and print every figure as a ratio.

    python benchmarks/run.py                       # bundled KB, N = 1,000 and 10,000
    python benchmarks/run.py --sizes 1000,10000,100000 --runs 3
    python benchmarks/run.py --with-100k --json /tmp/ketakb-bench/results.json

For each KB (the bundled one, then synthetic KBs of N records made by generate.py under
--work, default /tmp/ketakb-bench) it runs, interleaved, after one warm-up round, `--runs`
rounds of: a bare interpreter, the framework floor (floor_app.py, a one-command Typer app),
`ketakb --help`, `show` / `search` / `explain` (skipped if the installed ketakb lacks them),
`validate` cold (--no-cache, and with a fresh cache folder), `validate` after one file
changed (warm cache), `validate` of the same KB with planted errors (the failure path), the
raw limit (raw_limit.py: libyaml + pydantic on every core, nothing else) and check-jsonschema
with the exported schemas where it is installed (one run: it is slow).

Reported per command: median wall time, median CPU time (user + system, children included)
and peak resident memory of the largest process of the run (wait4's ru_maxrss). Ratios:
queries and --help against the floor, validate against the raw limit, and re-validation after
one change also against both cold runs. The installed package is compiled to bytecode first.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent

QUERY_KINDS = ("help", "show", "search", "explain")


@dataclass
class Sample:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    failed: str = ""

    def median(self, what: str) -> float:
        values = getattr(self, what)
        return statistics.median(values) if values else float("nan")


@dataclass
class Command:
    name: str
    argv: list[str]
    env: dict[str, str]
    before: object = None  # a callable run (untimed) before each timed run
    once: bool = False
    ok_codes: tuple[int, ...] = (0,)


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds, peak RSS (MiB) and exit code of one process."""
    start = time.perf_counter()
    # close_fds=False lets subprocess use posix_spawn: a forked copy of this runner would
    # otherwise count in the child's peak memory
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, close_fds=False)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode


def has_command(name: str) -> bool:
    """Whether the installed ketakb has a subcommand (the query commands may not exist yet)."""
    result = subprocess.run(["ketakb", name, "--help"], capture_output=True, check=False)
    return result.returncode == 0


def compile_installed() -> None:
    """Compile the installed package to bytecode, as `pip install` does. An editable install
    run with PYTHONDONTWRITEBYTECODE set (as here) would otherwise recompile every ketakb
    module in every timed process, which no installed copy does."""
    import ketakb

    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(ketakb.__file__).parent)],
                   check=True)


def bundled_kb() -> Path:
    from ketakb.cli.options import bundled_kb as find

    return find()


def ensure_kb(work: Path, n: int, errors: int, seed: int) -> Path:
    out = work / (f"n{n}" + (f"-errors{errors}" if errors else ""))
    stamp = out / "stamp.json"
    want = {"n": n, "errors": errors, "seed": seed,
            "generator": (HERE / "generate.py").stat().st_mtime_ns}
    if not stamp.is_file() or json.loads(stamp.read_text()) != want:
        t = time.perf_counter()
        # in a child process: a runner grown by generating 100,000 records would pass its
        # peak memory on to every process it starts (wait4 reports the inherited maximum)
        subprocess.run([sys.executable, str(HERE / "generate.py"), str(n), "--out", str(out),
                        "--seed", str(seed), "--errors", str(errors)], check=True,
                       stdout=subprocess.DEVNULL)
        stamp.write_text(json.dumps(want))
        print(f"  generated {n} records in {time.perf_counter() - t:.1f} s -> {out}",
              file=sys.stderr)
    return out


def commands_for(label: str, kb: Path, archives: Path | None, work: Path,
                 errors_kb: Path | None, available: set[str], schemas: Path | None,
                 jsonschema: bool) -> list[Command]:
    base = dict(os.environ, KETAKB_KB=str(kb), NO_COLOR="1")
    base.pop("CI", None)
    warm_cache = work / f"cache-{label}"
    shutil.rmtree(warm_cache, ignore_errors=True)
    warm = dict(base, KETAKB_CACHE_DIR=str(warm_cache))
    py = sys.executable
    cmds = [
        Command("bare interpreter", [py, "-c", "pass"], base),
        Command("floor (typer app)", [py, str(HERE / "floor_app.py"), "hello"], base),
        Command("help", ["ketakb", "--help"], warm),
    ]
    queries = {"show": ["ketakb", "show", "nmda-receptor"],
               "search": ["ketakb", "search", "ketamine"],
               "explain": ["ketakb", "explain", "rapid-antidepressant-effect"]}
    for name, argv in queries.items():
        if name in available:
            cmds.append(Command(name, argv, warm))
    src = ["--sources-dir", str(archives)] if archives else []
    cmds.append(Command("validate cold --no-cache", ["ketakb", "validate", *src, "--no-cache"],
                        base, ok_codes=(0, 1)))
    fresh_root = work / f"fresh-{label}"

    def fresh_cache() -> None:
        shutil.rmtree(fresh_root, ignore_errors=True)

    cmds.append(Command("validate cold (fresh cache)", ["ketakb", "validate", *src],
                        dict(base, KETAKB_CACHE_DIR=str(fresh_root)), fresh_cache,
                        ok_codes=(0, 1)))
    victim = next(iter(sorted((kb / "receptors").glob("*.yaml"))), None)
    if victim is not None:
        original = victim.read_bytes()
        counter = [0]

        def touch_one() -> None:  # a real content change: the file must be parsed again
            counter[0] += 1
            victim.write_bytes(original + f"# touched {counter[0]}\n".encode())

        if "/tmp" not in str(victim.resolve()):
            raise SystemExit(f"refusing to edit {victim}: benchmark KBs live under /tmp")
        cmds.append(Command("validate, 1 file changed", ["ketakb", "validate", *src], warm,
                            touch_one, ok_codes=(0, 1)))
    if errors_kb is not None:
        cmds.append(Command("validate errors --no-cache",
                            ["ketakb", "validate", "--kb", str(errors_kb / "kb"), "--sources-dir",
                             str(errors_kb / "archives"), "--no-cache"], base, ok_codes=(1,)))
    cmds.append(Command("raw limit", [py, str(HERE / "raw_limit.py"), str(kb)], base))
    if jsonschema and schemas is not None and shutil.which("check-jsonschema"):
        script = ("import subprocess,sys,glob\n"
                  f"kb={str(kb)!r}; sch={str(schemas)!r}\n"
                  "for folder, kind in [('sources','source'),('agents','agent'),"
                  "('receptors','receptor'),('pathways','pathway'),('effects','effect'),"
                  "('conditions','condition')]:\n"
                  "    files=sorted(glob.glob(f'{kb}/{folder}/*.yaml'))\n"
                  "    for i in range(0, len(files), 2000):\n"
                  "        subprocess.run(['check-jsonschema','--schemafile',"
                  "f'{sch}/{kind}.schema.json',*files[i:i+2000]],stdout=subprocess.DEVNULL)\n")
        cmds.append(Command("check-jsonschema", [py, "-c", script], base, once=True))
    return cmds


def measure(cmds: list[Command], runs: int) -> dict[str, Sample]:
    samples = {c.name: Sample() for c in cmds}
    for round_no in range(runs + 1):  # round 0 is the warm-up
        for cmd in cmds:
            sample = samples[cmd.name]
            if sample.failed or (cmd.once and round_no != 1):
                continue
            if callable(cmd.before):
                cmd.before()
            wall, cpu, rss, code = timed(cmd.argv, cmd.env)
            if code not in cmd.ok_codes:
                sample.failed = f"exit {code}"
                continue
            if round_no:
                sample.wall.append(wall)
                sample.cpu.append(cpu)
                sample.rss_mb.append(rss)
    return samples


def report(label: str, samples: dict[str, Sample]) -> list[dict[str, object]]:
    floor = samples["floor (typer app)"].median("wall")
    raw = samples["raw limit"].median("wall")
    raw_cpu = samples["raw limit"].median("cpu")
    rows = []
    print(f"\n## {label}\n")
    print("| command | wall s | CPU s | peak MiB | ratio (wall) | ratio (CPU) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, s in samples.items():
        if s.failed or not s.wall:
            print(f"| {name} | {s.failed or 'skipped'} | | | | |")
            continue
        wall, cpu, rss = s.median("wall"), s.median("cpu"), max(s.rss_mb)
        if name.startswith(("validate", "check-jsonschema")):
            ratio, ratio_cpu = f"{wall / raw:.2f}× raw", f"{cpu / raw_cpu:.2f}× raw"
        elif name in QUERY_KINDS or name.startswith("bare"):
            ratio, ratio_cpu = f"{wall / floor:.2f}× floor", ""
        else:
            ratio, ratio_cpu = "", ""
        print(f"| {name} | {wall:.3f} | {cpu:.3f} | {rss:.0f} | {ratio} | {ratio_cpu} |")
        if name == "validate, 1 file changed":  # the target: a fraction of a cold run
            for cold in ("validate cold --no-cache", "validate cold (fresh cache)"):
                if samples.get(cold) and samples[cold].wall:
                    print(f"| ... of {cold} | | | | {wall / samples[cold].median('wall'):.2f}× "
                          "| |")
        rows.append({"kb": label, "command": name, "wall": wall, "cpu": cpu, "rss_mb": rss,
                     "runs": len(s.wall)})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000",
                        help="comma-separated N of the synthetic KBs [1000,10000]")
    parser.add_argument("--with-100k", action="store_true", help="add N = 100,000")
    parser.add_argument("--runs", type=int, default=5, help="timed rounds after a warm-up")
    parser.add_argument("--errors", type=int, default=300,
                        help="planted errors of the failure-path KB (0: skip it)")
    parser.add_argument("--seed", type=int, default=20240)
    parser.add_argument("--work", type=Path, default=Path("/tmp/ketakb-bench"))
    parser.add_argument("--no-jsonschema", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.with_100k and 100_000 not in sizes:
        sizes.append(100_000)
    args.work.mkdir(parents=True, exist_ok=True)
    compile_installed()
    available = {name for name in ("show", "search", "explain") if has_command(name)}
    for name in ("show", "search", "explain"):
        if name not in available:
            print(f"note: `ketakb {name}` is not available yet; skipped", file=sys.stderr)
    schemas = args.work / "schemas"
    subprocess.run(["ketakb", "schema", "--out", str(schemas)], capture_output=True,
                   check=False)
    rows: list[dict[str, object]] = []
    results: dict[str, dict[str, Sample]] = {}
    bundled = bundled_kb()
    seeds = HERE.parent.parent / "shared" / "seeds"
    copy = args.work / "bundled" / "kb"  # a copy: the runner edits a file to time re-validation
    shutil.rmtree(copy.parent, ignore_errors=True)
    shutil.copytree(bundled, copy, ignore=shutil.ignore_patterns(".*"))
    kbs: list[tuple[str, Path, Path | None, Path | None]] = [
        ("bundled", copy, seeds if seeds.is_dir() else None, None)]
    for n in sizes:
        out = ensure_kb(args.work, n, 0, args.seed)
        errors = ensure_kb(args.work, n, args.errors, args.seed) if args.errors else None
        kbs.append((f"N={n:,}", out / "kb", out / "archives", errors))
    for label, kb, archives, errors in kbs:
        print(f"measuring {label} ({kb}) ...", file=sys.stderr)
        cmds = commands_for(label.replace(",", "").replace("=", ""), kb, archives, args.work,
                            errors, available, schemas,
                            not args.no_jsonschema and label != "N=100,000")
        results[label] = measure(cmds, args.runs)
        rows += report(label, results[label])
    show_base = results["bundled"].get("show")
    if show_base and show_base.wall:
        print("\n## Queries against the bundled KB\n")
        for label, samples in results.items():
            for name in ("show", "search", "explain"):
                base, s = results["bundled"].get(name), samples.get(name)
                if base and s and s.wall and base.wall:
                    print(f"- {name} at {label}: {s.median('wall') / base.median('wall'):.2f}× "
                          "the bundled KB")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
