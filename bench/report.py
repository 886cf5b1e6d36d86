"""Turn the ladder's saved results into markdown tables of ratios, and a chart.

Usage: ``python -m bench.report [bench/results.json] [--markdown docs/benchmarks.md]`` after
``pytest --benchmark-only``. Every ratio compares medians measured in the same run. Each
loss row also says how close the jit tier runs to the machine's own limits, measured in the
same run: the share of the float32/float64 matmul's FLOP rate, and the multiple of the
floor (the larger of one streaming read of X and X's FLOPs at the matmul rate). With
``--markdown`` the page is written there (a summary, every table, the chart beside it, and
the machine, date and command once), else printed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

from fastlin import descriptors
from tests.registry import OPERATIONS

DEFAULT = Path(__file__).parent / "results.json"
#: what the page says before the tables: how to read them (kept beside this file)
HEADER = Path(__file__).parent / "report_header.md"
#: groups outside the table of operations: their contenders, and the one the others are divided by
EXTRA_GROUPS = {
    "train": (("vectorized", "jit", "cs231n", "sklearn", "kernel"), "jit"),
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


def limit_share(op_name: str, shape: str, dtype: str, jit: float, flops, limits) -> tuple[float | None, float | None]:
    """The jit tier's share of the matmul's FLOP rate, and (losses) its time over the floor.

    The floor is the larger of one streaming read of X and X's FLOPs at the matmul rate; the
    k-means features are float32 products whatever the pixels' dtype.
    """
    rates, read = limits
    if not flops:
        return None, None
    if OPERATIONS[op_name].contract == "losses":
        peak = rates.get(dtype)
        N, D, _ = (int(v) for v in shape.split("x"))
        x_bytes = N * D * (4 if dtype == "float32" else 8)
        floor = max(x_bytes / read if read else 0.0, flops / peak if peak else 0.0)
        return (flops / jit / peak if peak else None), (jit / floor if floor else None)
    peak = rates.get("float32")
    return (flops / jit / peak if peak else None), None


def family(op_name: str) -> str:
    """The ladder's family of an operation: the linear classifier, a descriptor of the table, or an encoder."""
    op = OPERATIONS[op_name]
    if op.family:
        return op.family
    topic = op.contract
    if topic == "losses":
        return "losses"
    plain = {d.name for d in descriptors.DESCRIPTORS.values() if not d.fitted}
    return "descriptors" if topic in plain else "encoders"


def best_peers(groups: dict[str, dict[str, dict]], limits) -> dict[str, list[tuple]]:
    """Per operation, per group: (shape, dtype, jit's speed-up over the fastest peer, that peer, limit share).

    Without an outside peer the fastest other tier stands in (its name says so).
    """
    out: dict[str, list] = defaultdict(list)
    for group, row in sorted(groups.items()):
        op, shape, dtype = group.split("|")
        if op not in OPERATIONS or "jit" not in row:
            continue
        peers = [p.name for p in OPERATIONS[op].peers if p.name in row]
        rivals = peers or [n for n in row if n != "jit"]
        if not rivals:
            continue
        best = min(rivals, key=lambda n: _median(row[n]))
        jit = _median(row["jit"])
        share, _ = limit_share(op, shape, dtype, jit, row["jit"].get("extra_info", {}).get("flops"), limits)
        out[op].append((shape, dtype, _median(row[best]) / jit, best, share))
    return out


FAMILIES = ("losses", "descriptors", "encoders")


def _family_order(op: str) -> tuple[int, int]:
    return FAMILIES.index(family(op)), list(OPERATIONS).index(op)


def _span(values: list[float], fmt: str, unit: str) -> str:
    low, high = fmt.format(min(values)), fmt.format(max(values))
    return f"{low}{unit}" if low == high else f"{low}-{high}{unit}"


def summary_table(groups: dict[str, dict[str, dict]], limits) -> str:
    """One line per operation: jit's speed-up over its fastest peer (range over shapes), and % of matmul."""
    lines = [
        "| family | operation | jit vs the fastest peer | peers | % of matmul (jit) |",
        "|---|---|---|---|---|",
    ]
    found = best_peers(groups, limits)
    for op in sorted(found, key=_family_order):
        rows = found[op]
        span = _span([r[2] for r in rows], "{:.2f}", "x")
        shares = [100 * r[4] for r in rows if r[4]]
        pct = _span(shares, "{:.0f}", "%") if shares else "-"
        peers = ", ".join(sorted({r[3] for r in rows}))
        lines.append(f"| {family(op)} | {op} | {span} | {peers} | {pct} |")
    return "\n".join(lines)


def ladder_table(groups: dict[str, dict[str, dict]], op_name: str, names: list[str], limits) -> str:
    """One row per group of the operation: each contender's median and jit's speed-up over it."""
    others = [n for n in names if n != "jit"]
    is_loss = OPERATIONS[op_name].contract == "losses"
    gemm_bound = OPERATIONS[op_name].contract == "kmeans_features"  # float32 products whatever the pixels' dtype
    head = ["operation", "shape", "dtype", *names, "jit GFLOP/s"]
    head += ["% of matmul", "x floor", "x GEMMs"] if is_loss else ["% of f32 matmul"] if gemm_bound else []
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
        share, floor = limit_share(op_name, shape, dtype, jit, flops, limits)
        extra = []
        if is_loss:
            # the faster of NumPy's two layouts of the products (row- or class-major)
            layouts = [b for who, b in groups.get(f"gemms|{shape}|{dtype}", {}).items() if who.startswith("numpy")]
            gemms = min(map(_median, layouts)) if layouts else None
            extra = [
                f"{100 * share:.0f}%" if share else "-",
                f"{floor:.2f}" if floor else "-",
                f"{jit / gemms:.2f}" if gemms else "-",
            ]
        elif gemm_bound:
            extra = [f"{100 * share:.0f}%" if share else "-"]
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
        kind, shape, dtype = group.split("|")
        if kind == "gemms":  # a loss's two products alone, in each library's BLAS
            N, D, C = (int(v) for v in shape.split("x"))
            for who, b in sorted(row.items()):
                rate = f"{4 * N * D * C / _median(b) / 1e9:.1f} GFLOP/s"
                products = "W.T @ X.T + dS.T @ X" if who.endswith("class-major") else "X @ W + X.T @ dS"
                lines.append(f"| {who} {products} {shape} {dtype} | {_fmt_time(_median(b))} | {rate} |")
            continue
        b = next(iter(row.values()))
        if kind == "matmul":
            rate = f"{b['extra_info']['flops'] / _median(b) / 1e9:.1f} GFLOP/s"
        elif kind == "read":
            rate = f"{b['extra_info']['bytes'] / _median(b) / 1e9:.1f} GB/s"
        elif kind == "fft":  # GIST's transforms alone: the floor of its rows
            rate = f"{_fmt_time(_median(b) / b['extra_info']['images'])} per image"
        else:
            continue
        library = "scipy" if kind == "fft" else "numpy"
        lines.append(f"| {library} {group.replace('|', ' ')} | {_fmt_time(_median(b))} | {rate} |")
    return "\n".join(lines)


def chart(groups: dict[str, dict[str, dict]], limits, path: Path) -> bool:
    """One panel per family: each benchmark's speed-up of jit over its fastest peer, a line at 1x."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    panels: dict[str, list] = defaultdict(list)
    found = best_peers(groups, limits)
    for op in sorted(found, key=_family_order):
        for shape, dtype, ratio, peer, share in found[op]:
            note = f" ({100 * share:.0f}% of matmul)" if share else ""
            panels[family(op)].append((f"{op} {shape} {dtype} vs {peer}{note}", ratio))
    order = [f for f in FAMILIES if f in panels]
    if not order:
        return False
    heights = [len(panels[f]) for f in order]
    fig, axes = plt.subplots(
        len(order),
        1,
        figsize=(10, 0.32 * sum(heights) + 1.0 * len(order) + 0.6),
        gridspec_kw={"height_ratios": heights},
        sharex=True,
    )
    axes = [axes] if len(order) == 1 else list(axes)
    every = [r for f in order for _, r in panels[f]]
    limits_x = (min(0.5, min(every) / 1.5), max(every) * 1.8)
    for ax, fam in zip(axes, order, strict=True):
        labels, ratios = zip(*panels[fam], strict=True)
        ys = range(len(labels))
        colors = ["tab:green" if r >= 1 else "tab:red" for r in ratios]
        ax.barh(ys, [r - 1 for r in ratios], left=1.0, color=colors, height=0.7)  # bars grow from 1x
        ax.set_yticks(list(ys), labels, fontsize=8)
        ax.invert_yaxis()
        ax.axvline(1.0, color="black", lw=0.8)
        ax.set_xscale("log")
        ax.set_xlim(*limits_x)
        for y, r in zip(ys, ratios, strict=True):
            right = r >= 1
            ax.text(
                r * (1.05 if right else 1 / 1.05),
                y,
                f"{r:.2f}x",
                va="center",
                ha="left" if right else "right",
                fontsize=7,
            )
        ax.set_title(fam, fontsize=10, loc="left", fontweight="bold")
    axes[-1].set_xlabel("times faster than the fastest peer (log scale; the line is 1x: as fast)")
    fig.suptitle("fastlin's jit tier against the fastest implementation people would use instead", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="?", default=str(DEFAULT))
    parser.add_argument("--markdown", metavar="PAGE.md", help="write the page here (the chart beside it)")
    parser.add_argument("--chart", help="PNG of the ratios (default: ladder.png beside the page, or in bench/)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    path = Path(args.results)
    if not path.exists():
        print(f"no results at {path}: run `pytest --benchmark-only` first", file=sys.stderr)
        return 2
    data, groups = load(path)
    limits = _limits(groups)
    page = Path(args.markdown) if args.markdown else None
    chart_path = Path(args.chart) if args.chart else (page.parent if page else Path(__file__).parent) / "ladder.png"
    sections = [summary_table(groups, limits)]
    if chart(groups, limits, chart_path):
        sections.append(f"![jit against the fastest peer, per family]({chart_path.name if page else chart_path})")
    sections.append("## Every contender\n\nMedians of several rounds, measured in one run; ratios are jit's speed-up.")
    for name, op in OPERATIONS.items():
        names = list(op.tiers) + [p.name for p in op.peers]
        table = ladder_table(groups, name, names, limits)
        if table.count("\n") > 1:
            sections.append(table)
    for prefix, (names, base) in EXTRA_GROUPS.items():
        table = plain_table(groups, prefix, names, base)
        if table:
            sections.append(table)
    alternating = alternating_table(groups)
    if alternating:
        sections.append(alternating)
    for group, row in sorted(groups.items()):
        inertia = {n: b["extra_info"]["inertia"] for n, b in row.items() if "inertia" in b.get("extra_info", {})}
        if "jit" in inertia and "sklearn" in inertia:
            sections.append(
                f"{group}: inertia jit {inertia['jit']:.6g}, scikit-learn {inertia['sklearn']:.6g} "
                f"(jit / scikit-learn = {inertia['jit'] / inertia['sklearn']:.4f})"
            )
    sections.append("## The machine's own limits, in the same run\n\n" + reference_table(groups))
    sections.append("## Machine\n\n" + machine(data))
    text = "\n\n".join(sections) + "\n"
    if page is None:
        print(text)
        return 0
    page.write_text(
        "# Benchmarks\n\n"
        + (HEADER.read_text() if HEADER.exists() else "")
        + text
        + f"\n---\nWritten by `python -m bench.report --markdown {args.markdown}` from the run of "
        f"{data.get('datetime', '?')[:19]} UTC (`pytest --benchmark-only`); the machine is named above.\n"
    )
    print(f"wrote {page} and {chart_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
