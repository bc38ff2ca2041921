"""Run one benchmark on two revisions side by side, alternating, and compare their figures.

Usage: python bench/ab.py --base REV [--runs N] SCRIPT [SCRIPT ARGS...]
  e.g. python bench/ab.py --base a0c44fc --runs 3 bench/breakpoint_bench.py --rounds 9

The base revision is checked out once into bench/.cache/ab-REV (a git worktree).
Each run starts SCRIPT from the base tree and from this tree in turn (the order
swaps every run, so neither always goes first on a warm or busy machine), with
PYTHONPATH set to that tree so that kernels and servers it starts import that
tree's code too. Each script writes its raw figures with --json; every number
in them (lists of samples, or one figure per run) is pooled over the runs, and
the medians are printed side by side with their ratio. Both scripts' own
reports are printed too. A measurement, not a test: it exits 0 whatever the
figures are.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def checkout(rev: str) -> Path:
    tree = ROOT / "bench/.cache" / f"ab-{rev}"
    if not tree.exists():
        tree.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree),
                        rev], check=True, capture_output=True)  # fmt: skip
    return tree


def run(tree: Path, script: Path, args: list[str]) -> tuple[dict, str]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "figures.json"
        env = dict(os.environ, PYTHONPATH=str(tree))
        done = subprocess.run(
            [sys.executable, str(script), *args, "--json", str(out)],
            cwd=tree, env=env, capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode:
            raise SystemExit(f"{script} in {tree} failed:\n{done.stderr[-3000:]}")
        return json.loads(out.read_text()), done.stdout


def numbers(figures, path: str = "") -> dict[str, list[float]]:
    """Every number in a JSON document, by its path: lists of samples stay lists."""
    found: dict[str, list[float]] = {}
    if isinstance(figures, dict):
        for k, v in figures.items():
            for p, xs in numbers(v, f"{path}.{k}" if path else str(k)).items():
                found.setdefault(p, []).extend(xs)
    elif isinstance(figures, list) and all(
        isinstance(x, (int, float)) for x in figures
    ):
        found[path] = [float(x) for x in figures if not isinstance(x, bool)]
    elif isinstance(figures, list):  # records of rounds or runs: pooled by field
        for v in figures:
            for p, xs in numbers(v, path).items():
                found.setdefault(p, []).extend(xs)
    elif isinstance(figures, (int, float)) and not isinstance(figures, bool):
        found[path] = [float(figures)]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="the revision to compare with")
    parser.add_argument("--runs", type=int, default=3, help="runs of each (default 3)")
    parser.add_argument(
        "--script-from-head",
        action="store_true",
        help="run this tree's SCRIPT against both trees' code (for a bench that only "
        "drives code through PYTHONPATH, e.g. viewer_bench.py, when the base's copy "
        "lacks --json)",
    )
    parser.add_argument("script")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    a = parser.parse_args()
    base = checkout(a.base)
    head_rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True).stdout.strip()  # fmt: skip
    pooled: dict[str, dict[str, list[float]]] = {"base": {}, "head": {}}
    reports: dict[str, list[str]] = {"base": [], "head": []}
    for r in range(a.runs):
        for side in ("base", "head") if r % 2 == 0 else ("head", "base"):
            print(f"run {r + 1}/{a.runs}: {side}", file=sys.stderr)
            tree = base if side == "base" else ROOT
            script = (ROOT if a.script_from_head else tree) / a.script
            figures, report = run(tree, script, a.args)
            reports[side].append(report)
            for path, xs in numbers(figures).items():
                pooled[side].setdefault(path, []).extend(xs)
    print(f"# {a.script} {' '.join(a.args)}: base {a.base} vs head {head_rev} "
          f"(working tree), {a.runs} alternating runs each\n")  # fmt: skip
    print("| figure | base median | head median | head / base | samples |")
    print("|---|---:|---:|---:|---:|")
    for path in sorted(set(pooled["base"]) & set(pooled["head"])):
        b, h = pooled["base"][path], pooled["head"][path]
        if not b or not h:
            continue
        mb, mh = statistics.median(b), statistics.median(h)
        ratio = f"{mh / mb:.3f}" if mb else "-"
        print(f"| {path} | {mb:.6g} | {mh:.6g} | {ratio} | {len(b)}/{len(h)} |")
    for side in ("base", "head"):
        print(f"\n## the last {side} run's own report\n")
        print(reports[side][-1])


if __name__ == "__main__":
    main()
