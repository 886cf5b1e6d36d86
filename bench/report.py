"""Turn the ladder's saved results into markdown tables of ratios.

Usage: ``python -m bench.report [bench/results.json]`` after ``pytest --benchmark-only``.
Every ratio compares medians measured in the same run.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

DEFAULT = Path(__file__).parent / "results.json"


def contender(bench: dict) -> str:
    params = bench.get("params") or {}
    return params.get("who") or bench["name"].split("[")[0].removeprefix("test_")


def load(path: Path) -> dict[str, dict[str, dict]]:
    data = json.loads(path.read_text())
    groups: dict[str, dict[str, dict]] = defaultdict(dict)
    for b in data["benchmarks"]:
        groups[b["group"]][contender(b)] = b
    return groups


def _fmt_time(seconds: float) -> str:
    return f"{seconds * 1e3:.3f} ms" if seconds < 1 else f"{seconds:.2f} s"


def ladder_table(groups: dict[str, dict[str, dict]], prefix: tuple[str, ...], names: list[str]) -> str:
    """One row per group: each contender's median and jit's speed-up over it."""
    others = [n for n in names if n != "jit"]
    head = ["operation", "shape", "dtype", *names, "jit GFLOP/s", *(f"jit vs {n}" for n in others)]
    lines = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    for group, row in sorted(groups.items()):
        if not group.startswith(prefix) or "jit" not in row:
            continue
        op, shape, dtype = group.split("|")
        med = {n: row[n]["stats"]["median"] for n in names if n in row}
        jit = med["jit"]
        flops = row["jit"].get("extra_info", {}).get("flops")
        cells = [_fmt_time(med[n]) if n in med else "-" for n in names]
        ratios = [f"{med[n] / jit:.2f}x" if n in med else "-" for n in others]
        rate = f"{flops / jit / 1e9:.1f}" if flops else "-"
        lines.append("| " + " | ".join([op, shape, dtype, *cells, rate, *ratios]) + " |")
    return "\n".join(lines)


def matmul_table(groups: dict[str, dict[str, dict]]) -> str:
    lines = ["| reference | median | GFLOP/s |", "|---|---|---|"]
    for group, row in sorted(groups.items()):
        if group.startswith("matmul"):
            b = next(iter(row.values()))
            med = b["stats"]["median"]
            lines.append(
                f"| numpy {group.replace('|', ' ')} | {_fmt_time(med)} | {b['extra_info']['flops'] / med / 1e9:.1f} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    path = Path(argv[0]) if argv else DEFAULT
    if not path.exists():
        print(f"no results at {path}: run `pytest --benchmark-only` first", file=sys.stderr)
        return 2
    groups = load(path)
    print("Medians of several rounds, measured in one run; ratios are jit's speed-up.\n")
    print(ladder_table(groups, ("svm", "softmax"), ["naive", "vectorized", "jit", "cs231n", "torch"]))
    print()
    print(ladder_table(groups, ("hog", "color_hist"), ["naive", "vectorized", "jit", "skimage", "cs231n", "opencv"]))
    print()
    print(ladder_table(groups, ("train",), ["vectorized", "jit", "cs231n"]))
    print()
    print(ladder_table(groups, ("kmeans", "bow_transform"), ["vectorized", "jit", "sklearn"]))
    for group, row in sorted(groups.items()):
        inertia = {n: b["extra_info"]["inertia"] for n, b in row.items() if "inertia" in b.get("extra_info", {})}
        if "jit" in inertia and "sklearn" in inertia:
            print(
                f"\n{group}: inertia jit {inertia['jit']:.6g}, scikit-learn {inertia['sklearn']:.6g} "
                f"(jit / scikit-learn = {inertia['jit'] / inertia['sklearn']:.4f})"
            )
    print()
    print(matmul_table(groups))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
