"""Drawing the lecture's figures from the numbers :mod:`fastlin.lecture` computed, and their page.

Every figure has a fixed size (:data:`SIZES`, inches at :data:`DPI`), so the PNG's pixel
size is known in advance.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np

#: dots per inch of every PNG
DPI = 100
#: figure size in inches, per figure
SIZES = {
    "01-landscape": (15, 8),
    "02-sanity": (12, 4.5),
    "03-search": (8, 5),
    "04-gradient-check": (12, 4.5),
    "05-step-size": (8, 5),
    "06-learning-rates": (8, 5),
    "07-batch-size": (14, 5),
    "08-svm-vs-softmax": (13, 4.5),
    "09-regularization": (14, 4.5),
    "10-schedules": (13, 4.5),
    "11-features": (16, 9),
}


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ValueError("the lecture's figures need matplotlib: pip install matplotlib") from None
    return plt


def _labels(ax, xlabel: str, ylabel: str, title: str, legend: bool = True, **legend_kw) -> None:
    """Name the axes and the panel; a legend of its lines unless ``legend`` is False."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if legend:
        ax.legend(**legend_kw)


def _landscape(fig, n, data):
    a, grid = np.array(n["a"]), np.array(n["grid"])
    for row, who in enumerate(("one", "batch")):
        what = "one example" if who == "one" else f"{n['n_rows']} examples"
        ax = fig.add_subplot(2, 3, 3 * row + 1)
        for name in ("svm", "softmax"):
            ax.plot(a, n[f"{name}_{who}_1d"], label=name)
        _labels(ax, "a", "loss", f"L(W + a W1), {what}")
        for col, name in enumerate(("svm", "softmax")):
            ax = fig.add_subplot(2, 3, 3 * row + 2 + col)
            extent = (grid[0], grid[-1], grid[0], grid[-1])
            im = ax.imshow(n[f"{name}_{who}_2d"], origin="lower", extent=extent, cmap="jet")
            fig.colorbar(im, ax=ax, label="loss")
            _labels(ax, "a", "b", f"{name}: L(W + a W1 + b W2), {what}", legend=False)


def _sanity(fig, n, data):
    ax = fig.add_subplot(1, 2, 1)
    names = ["SVM", "softmax"]
    measured = ax.bar(np.arange(2) - 0.2, [n["svm"], n["softmax"]], 0.4, label="measured")
    expected = ax.bar(
        np.arange(2) + 0.2, [n["expected_svm"], n["expected_softmax"]], 0.4, label="expected (C - 1, ln C)"
    )
    for bars in (measured, expected):
        ax.bar_label(bars, fmt="%.3f", fontsize=8)
    ax.set_xticks(range(2), names)
    ax.set_ylabel("loss at initialization")
    ax.set_title(f"small random W, no regularization (C = {n['C']})")
    ax.legend()
    ax = fig.add_subplot(1, 2, 2)
    ax.loglog(n["regs"], n["svm_with_reg"], label="SVM")
    ax.loglog(n["regs"], n["softmax_with_reg"], label="softmax")
    _labels(ax, "regularization strength reg", "loss + reg * sum(W**2)", "the same W as reg grows")


def _search(fig, n, data):
    ax = fig.add_subplot(1, 1, 1)
    for key, label in (
        ("random_search", "random search"),
        ("random_local_search", "random local search"),
        ("gradient_descent", "gradient descent"),
    ):
        ax.semilogx(n["evals"], n[key], marker="o", label=label)
    ax.axhline(n["chance"], color="gray", ls="--", label="chance")
    _labels(ax, "loss evaluations", "test accuracy", "the same budget of loss evaluations (SVM loss)")


def _gradient_check(fig, n, data):
    ax = fig.add_subplot(1, 2, 1)
    for dtype in ("float64", "float32"):
        ax.loglog(n["h"], np.maximum(n[dtype], 1e-17), marker="o", label=dtype)
    ax.invert_xaxis()
    title = "numerical against analytic gradient (softmax)"
    _labels(ax, "step h of the centred difference", "median relative error", title)
    ax = fig.add_subplot(1, 2, 2)
    labels, values = [], []
    for dtype in ("float64", "float32"):
        labels += [f"analytic\n{dtype}", f"numerical\n{dtype}"]
        values += [n[f"{dtype}_analytic_seconds"], n[f"{dtype}_numerical_seconds"]]
    ax.bar(range(4), values, color=["C0", "C1", "C0", "C1"])
    ax.set_yscale("log")
    ax.set_xticks(range(4), labels)
    ax.set_ylabel("seconds for the whole gradient")
    ax.set_title("time: one analytic gradient against centred differences")


def _step_size(fig, n, data):
    ax = fig.add_subplot(1, 1, 1)
    ax.semilogx(n["steps"], n["loss"], marker=".", label="loss after one step")
    ax.axhline(n["start"], color="gray", ls="--", label="loss before the step")
    ax.set_ylim(0, 3 * n["start"])
    _labels(ax, "step size", "loss (softmax)", "one step along the negative gradient")


def _learning_rates(fig, n, data):
    ax = fig.add_subplot(1, 1, 1)
    for name, run in n["runs"].items():
        label = f"{name} ({run['rate']:.1e})" + (": diverges" if run["diverged"] else "")
        ax.plot(run["loss"], label=label)
    ax.set_yscale("log")
    _labels(ax, "SGD step", "batch loss (softmax), log scale", "learning rates, constant, the same batches")


def _batch_size(fig, n, data):
    by_step, by_time = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    for label, run in n["runs"].items():
        loss = np.array(run["loss"])
        seconds = np.arange(1, len(loss) + 1) * (run["seconds"] / len(loss))  # the steps' end, evenly
        by_step.plot(loss, lw=0.8, label=f"batch {label}")
        by_time.plot(seconds, loss, lw=0.8, label=f"batch {label}")
    for ax, x in ((by_step, "SGD step"), (by_time, "seconds")):
        ax.set_xlabel(x)
        ax.set_ylabel("batch loss (softmax)")
        ax.legend(fontsize=8)
    by_time.set_xscale("log")
    by_step.set_title("per step")
    by_time.set_title("per second (log scale)")


def _svm_vs_softmax(fig, n, data):
    ax = fig.add_subplot(1, 2, 1)
    labels = [str([int(v) for v in s]) for s in n["vectors"]]
    x = np.arange(len(labels))
    for bars in (
        ax.bar(x - 0.2, n["svm"], 0.4, label="SVM (margin 1)"),
        ax.bar(x + 0.2, n["softmax"], 0.4, label="softmax"),
    ):
        ax.bar_label(bars, fmt="%.3g", fontsize=8)
    ax.set_xticks(x, labels)
    _labels(ax, "scores (correct class first)", "loss", "the same scores, two losses")
    ax = fig.add_subplot(1, 2, 2)
    ax.plot(n["sweep"], n["svm_sweep"], label="SVM")
    ax.plot(n["sweep"], n["softmax_sweep"], label="softmax")
    ax.axvline(9, color="gray", ls=":", label="margin met left of 9")
    ax.set_yscale("symlog", linthresh=1e-3)
    ax.set_ylim(0, None)
    _labels(ax, "score of wrong class 1 (scores [10, s, 3])", "loss", "as one wrong score moves")


def _regularization(fig, n, data):
    ax = fig.add_subplot(1, 3, 1)
    x = np.arange(2)
    ax.bar(x - 0.2, n["l2"], 0.4, label="L2: sum(w**2)")
    ax.bar(x + 0.2, n["l1"], 0.4, label="L1: sum(|w|)")
    ax.set_xticks(x, ["w1 = [1, 0, 0, 0]", "w2 = [.25, .25, .25, .25]"])
    ax.set_ylabel("penalty")
    ax.set_ylim(0, 1.4 * max(n["l2"] + n["l1"]))  # room for the legend above the bars
    ax.set_title(f"both score x = [1, 1, 1, 1] as {n['scores'][0]:g}")
    ax.legend(loc="upper right")
    ax = fig.add_subplot(1, 3, (2, 3))
    for penalty, w in n["weights"].items():
        ax.hist(
            w["values"], bins=101, histtype="step", log=True, label=f"{penalty}: {100 * w['near_zero']:.0f}% near 0"
        )
    _labels(ax, "learned weight", "count", f"learned weights, reg = {n['reg']:g}")


def _schedules(fig, n, data):
    rates, losses = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    for name, run in n["runs"].items():
        rates.plot(run["rate"], label=name)
        loss = np.array(run["loss"])
        smooth = np.convolve(loss, np.ones(20) / 20, mode="valid")
        losses.plot(smooth, label=f"{name}: val {run['val_accuracy']:.3f}")
    _labels(rates, "SGD step", "learning rate", "the schedules")
    _labels(losses, "SGD step", "batch loss, mean of 20 steps", "their runs")


def _image(a):
    a = np.asarray(a, dtype=np.float64)
    return (a - a.min()) / (np.ptp(a) or 1.0)


def _features(fig, n, data):
    top, middle, bottom = fig.subfigures(3, 1, height_ratios=(1, 1.3, 1.7))
    C = len(n["templates"])
    for c, (ax, t) in enumerate(zip(top.subplots(1, C), n["templates"], strict=True)):
        t = _image(t)
        ax.imshow(t, cmap=None if t.ndim == 3 else "gray")
        ax.set_title(n["class_names"][c], fontsize=9)
        ax.axis("off")
    top.suptitle("the weights of a linear classifier on raw pixels, one template per class", fontsize=10)
    picture, hog, hue = middle.subplots(1, 3, width_ratios=(1, 1, 2.5))
    image = np.asarray(n["image"])
    picture.imshow(_image(image), cmap=None if image.ndim == 3 else "gray")
    picture.set_title(f"an image ({n['image_class']})", fontsize=9)
    picture.axis("off")
    hog.imshow(n["hog_picture"], cmap="gray")
    hog.set_title("its HOG", fontsize=9)
    hog.axis("off")
    if n["hue_histogram"] is not None:
        hue.bar(range(len(n["hue_histogram"])), n["hue_histogram"])
        hue.set_title("its hue histogram", fontsize=9)
        hue.set_xlabel("hue bin", fontsize=8)
        hue.set_ylabel("share of pixels", fontsize=8)
    else:
        hue.text(0.5, 0.5, "gray images: no hue histogram", ha="center", va="center")
        hue.axis("off")
    ax = bottom.subplots()
    quoted = n.get("quoted", {})
    names = list(n["families"]) + list(quoted)
    values = [f["test_accuracy"] for f in n["families"].values()] + list(quoted.values())
    bars = ax.barh(range(len(names)), values, color=["C0"] * len(n["families"]) + ["C7"] * len(quoted))
    ax.bar_label(bars, fmt="%.3f", fontsize=8)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_xlabel("test accuracy, the same linear classifier (grey: quoted, not run here)")


DRAW = {
    "01-landscape": _landscape,
    "02-sanity": _sanity,
    "03-search": _search,
    "04-gradient-check": _gradient_check,
    "05-step-size": _step_size,
    "06-learning-rates": _learning_rates,
    "07-batch-size": _batch_size,
    "08-svm-vs-softmax": _svm_vs_softmax,
    "09-regularization": _regularization,
    "10-schedules": _schedules,
    "11-features": _features,
}


def draw(stem: str, numbers: dict, data, path: Path) -> None:
    """Draw figure ``stem`` from its numbers into ``path`` (PNG of ``SIZES[stem]`` inches at ``DPI``)."""
    plt = _pyplot()
    fig = plt.figure(figsize=SIZES[stem], dpi=DPI, layout="constrained")
    DRAW[stem](fig, numbers, data)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def summary(stem: str, n: dict) -> str:
    """One line of the run's own numbers under a figure's caption."""
    if stem == "02-sanity":
        return (
            f"Measured: SVM {n['svm']:.3f} (expected {n['expected_svm']}), "
            f"softmax {n['softmax']:.4f} (expected {n['expected_softmax']:.4f})."
        )
    if stem == "04-gradient-check":
        best = {d: min(n[d]) for d in ("float64", "float32")}
        return f"Smallest relative error: float64 {best['float64']:.1e}, float32 {best['float32']:.1e}."
    if stem == "03-search":
        return (
            f"After {n['evals'][-1]} evaluations: random search {n['random_search'][-1]:.3f}, random local search "
            f"{n['random_local_search'][-1]:.3f}, gradient descent {n['gradient_descent'][-1]:.3f} "
            f"(chance {n['chance']:.2f})."
        )
    if stem == "06-learning-rates":
        diverging = [k for k, r in n["runs"].items() if r["diverged"]]
        return "Diverging: " + (", ".join(diverging) if diverging else "none") + "."
    if stem == "11-features":
        parts = [f"{k} {v['test_accuracy']:.3f}" for k, v in n["families"].items()]
        skipped = f" Skipped (over a minute to extract): {', '.join(n['skipped'])}." if n["skipped"] else ""
        gray = "" if n["hue_histogram"] is not None else " Gray images: the colour features are left out."
        return "Test accuracy: " + ", ".join(parts) + "." + skipped + gray
    return ""


def index_html(data, results: dict) -> str:
    """A page with every figure, its caption and the run's own numbers."""
    from fastlin.lecture import EXPERIMENTS

    rows = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8"><title>fastlin lecture</title>',
        "<style>body{font-family:sans-serif;max-width:1100px;margin:auto}img{max-width:100%}</style>",
        "</head><body>",
        f"<h1>The lecture's pictures, from real runs on {html.escape(data.name)}</h1>",
        f"<p>{len(data.ytr)} training, {len(data.yval)} validation and {len(data.yte)} test images; "
        "each figure's numbers are in the JSON file beside it.</p>",
    ]
    for k, (stem, title, _, caption) in enumerate(EXPERIMENTS, start=1):
        if stem not in results:
            continue
        rows += [
            f"<h2>{k}. {html.escape(title)}</h2>",
            f'<img src="{stem}.png" alt="{html.escape(title)}">',
            f"<p>{html.escape(caption)} {html.escape(summary(stem, results[stem]))} "
            f'<a href="{stem}.json">numbers</a></p>',
        ]
    rows.append("</body></html>")
    return "\n".join(rows) + "\n"
