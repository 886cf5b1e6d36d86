"""Turn the ladder's saved results into markdown tables of ratios, and a chart.

Usage: ``python -m bench.report [bench/results.json] [--chart ladder.png]`` after
``pytest --benchmark-only``. Every ratio compares medians measured in the same run. Each
loss row also says how close the jit tier runs to the machine's own limits, measured in the
same run: the share of the float32/float64 matmul's FLOP rate, and the multiple of the
floor (the larger of one streaming read of X and X's FLOPs at the matmul rate).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

from tests.registry import OPERATIONS

DEFAULT = Path(__file__).parent / "results.json"
#: groups outside the table of operations: their contenders, and the one the others are divided by
EXTRA_GROUPS = {
    "train": (("vectorized", "jit", "cs231n"), "jit"),
    "dask": (("in_process", "local_cluster"), "in_process"),
}


def contender(bench: dict) -> str:
    info = bench.get("extra_info") or {}
    params = bench.get("params") or {}
    return info.get("who") or params.get("who") or bench["name"].split("[")[0].removeprefix("test_")


def load(path: Path) -> tuple[dict, dict[str, dict[str, dict]]]:
    data = json.loads(path.read_text())
    groups: dict[str, dict[str, dict]] = defaultdict(dict)
    for b in data["benchmarks"]:
        groups[b["group"]][contender(b)] = b
    return data, groups


def _fmt_time(seconds: float) -> str:
    return f"{seconds * 1e3:.3f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _median(b: dict) -> float:
    return b["stats"]["median"]


def machine(data: dict) -> str:
    """CPU, cores, Python and NumPy's BLAS (with the kernel it runs), as seen by this process."""
    info = data.get("machine_info", {})
    cpu = info.get("cpu", {})
    lines = [
        f"- CPU: {cpu.get('brand_raw', info.get('processor', '?'))}, {cpu.get('count', '?')} cores "
        f"({cpu.get('arch_string_raw', info.get('machine', '?'))}); run of {data.get('datetime', '?')[:19]} UTC",
        f"- Python {info.get('python_version', '?')}",
    ]
    try:
        import numpy as np
        from threadpoolctl import threadpool_info

        blas = [p for p in threadpool_info() if p.get("user_api") == "blas" and "numpy" in p.get("filepath", "")]
        for p in blas:
            lines.append(
                f"- NumPy {np.__version__}: {p.get('internal_api')} {p.get('version')}, kernel "
                f"{p.get('architecture')}, {p.get('num_threads')} threads"
            )
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        pass
    return "\n".join(lines)


def _limits(groups: dict[str, dict[str, dict]]) -> tuple[dict[str, float], float | None]:
    """FLOP rate of the reference matmul per dtype, and the streaming read rate in bytes/s."""
    rates, read = {}, None
    for group, row in groups.items():
        kind, _, dtype = group.split("|")
        b = next(iter(row.values()))
        if kind == "matmul":
            rates[dtype] = b["extra_info"]["flops"] / _median(b)
        elif kind == "read":
            read = b["extra_info"]["bytes"] / _median(b)
    return rates, read


def ladder_table(groups: dict[str, dict[str, dict]], op_name: str, names: list[str], limits) -> str:
    """One row per group of the operation: each contender's median and jit's speed-up over it."""
    rates, read = limits
    others = [n for n in names if n != "jit"]
    is_loss = op_name in ("svm", "squared_hinge", "softmax")
    gemm_bound = op_name == "kmeans_features"  # float32 products whatever the pixels' dtype
    head = ["operation", "shape", "dtype", *names, "jit GFLOP/s"]
    head += ["% of matmul", "x floor"] if is_loss else ["% of f32 matmul"] if gemm_bound else []
    head += [f"jit vs {n}" for n in others]
    lines = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    for group, row in sorted(groups.items()):
        op, shape, dtype = group.split("|")
        if op != op_name or "jit" not in row:
            continue
        med = {n: _median(row[n]) for n in names if n in row}
        jit = med["jit"]
        flops = row["jit"].get("extra_info", {}).get("flops")
        cells = [_fmt_time(med[n]) if n in med else "-" for n in names]
        rate = f"{flops / jit / 1e9:.1f}" if flops else "-"
        extra = []
        if is_loss:
            peak = rates.get(dtype)
            N, D, _ = (int(v) for v in shape.split("x"))
            x_bytes = N * D * (4 if dtype == "float32" else 8)
            floor = max(x_bytes / read if read else 0.0, flops / peak if peak else 0.0)
            extra = [f"{100 * flops / jit / peak:.0f}%" if peak else "-", f"{jit / floor:.2f}" if floor else "-"]
        elif gemm_bound:
            peak = rates.get("float32")
            extra = [f"{100 * flops / jit / peak:.0f}%" if peak and flops else "-"]
        ratios = [f"{med[n] / jit:.2f}x" if n in med else "-" for n in others]
        lines.append("| " + " | ".join([op, shape, dtype, *cells, rate, *extra, *ratios]) + " |")
    return "\n".join(lines)


def plain_table(groups: dict[str, dict[str, dict]], prefix: str, names: tuple[str, ...], base: str) -> str:
    rows = {g: r for g, r in groups.items() if g.split("|")[0] == prefix}
    if not rows:
        return ""
    lines = ["| group | " + " | ".join(names) + " | ratios |", "|---" * (len(names) + 2) + "|"]
    for group, row in sorted(rows.items()):
        med = {n: _median(row[n]) for n in names if n in row}
        cells = [_fmt_time(med[n]) if n in med else "-" for n in names]
        ratios = ", ".join(f"{n} / {base} = {med[n] / med[base]:.2f}" for n in names if n != base and n in med)
        ratios = ratios if base in med else "-"
        lines.append(f"| {group.replace('|', ' ')} | " + " | ".join(cells) + f" | {ratios} |")
    return "\n".join(lines)


def alternating_table(groups: dict[str, dict[str, dict]]) -> str:
    """The loss alternating with a NumPy product, against the sum of the two run apart."""
    rows = {g: r for g, r in groups.items() if g.startswith("alternating|")}
    if not rows:
        return ""
    lines = ["| alternating | fastlin alone | numpy alone | alternating | alternating / sum |", "|---|---|---|---|---|"]
    for group, row in sorted(rows.items()):
        if not {"fastlin", "numpy", "alternating"} <= set(row):
            continue
        a, b, c = (_median(row[k]) for k in ("fastlin", "numpy", "alternating"))
        label = group.split("|", 1)[1].replace("|", " ")
        cells = [label, _fmt_time(a), _fmt_time(b), _fmt_time(c), f"{c / (a + b):.2f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def reference_table(groups: dict[str, dict[str, dict]]) -> str:
    lines = ["| reference | median | rate |", "|---|---|---|"]
    for group, row in sorted(groups.items()):
        kind = group.split("|")[0]
        b = next(iter(row.values()))
        if kind == "matmul":
            rate = f"{b['extra_info']['flops'] / _median(b) / 1e9:.1f} GFLOP/s"
        elif kind == "read":
            rate = f"{b['extra_info']['bytes'] / _median(b) / 1e9:.1f} GB/s"
        else:
            continue
        lines.append(f"| numpy {group.replace('|', ' ')} | {_fmt_time(_median(b))} | {rate} |")
    return "\n".join(lines)


def chart(groups: dict[str, dict[str, dict]], path: Path) -> bool:
    """A bar chart of jit's speed-up over every other contender, one bar group per benchmark group."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    labels, series = [], defaultdict(dict)
    for group, row in sorted(groups.items()):
        if "jit" not in row:
            continue
        labels.append(group.replace("|", "\n"))
        for name, b in row.items():
            if name != "jit":
                series[name][group] = _median(b) / _median(row["jit"])
    fig, ax = plt.subplots(figsize=(max(8, 0.9 * len(labels)), 5))
    width = 0.8 / max(1, len(series))
    groups_sorted = [g for g in sorted(groups) if "jit" in groups[g]]
    for k, (name, values) in enumerate(sorted(series.items())):
        xs = [i + k * width for i, g in enumerate(groups_sorted) if g in values]
        ax.bar(xs, [values[g] for g in groups_sorted if g in values], width, label=f"jit vs {name}")
    ax.axhline(1.0, color="black", lw=0.8)
    ax.set_yscale("log")
    ax.set_ylabel("times faster than the contender (log)")
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(labels))], labels, fontsize=7)
    ax.legend(fontsize=7, ncol=3)
    ax.set_title("fastlin jit tier: speed-up over the other tiers and the peers")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="?", default=str(DEFAULT))
    parser.add_argument("--chart", default=str(Path(__file__).parent / "ladder.png"), help="PNG of the ratios")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    path = Path(args.results)
    if not path.exists():
        print(f"no results at {path}: run `pytest --benchmark-only` first", file=sys.stderr)
        return 2
    data, groups = load(path)
    limits = _limits(groups)
    print(machine(data))
    print("\nMedians of several rounds, measured in one run; ratios are jit's speed-up.\n")
    for name, op in OPERATIONS.items():
        names = list(op.tiers) + [p.name for p in op.peers]
        table = ladder_table(groups, name, names, limits)
        if table.count("\n") > 1:
            print(table + "\n")
    for prefix, (names, base) in EXTRA_GROUPS.items():
        table = plain_table(groups, prefix, names, base)
        if table:
            print(table + "\n")
    alternating = alternating_table(groups)
    if alternating:
        print(alternating + "\n")
    for group, row in sorted(groups.items()):
        inertia = {n: b["extra_info"]["inertia"] for n, b in row.items() if "inertia" in b.get("extra_info", {})}
        if "jit" in inertia and "sklearn" in inertia:
            print(
                f"{group}: inertia jit {inertia['jit']:.6g}, scikit-learn {inertia['sklearn']:.6g} "
                f"(jit / scikit-learn = {inertia['jit'] / inertia['sklearn']:.4f})\n"
            )
    print(reference_table(groups))
    if chart(groups, Path(args.chart)):
        print(f"\nchart: {args.chart}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
