"""The ``fastlin`` command: train a linear classifier on real data, check the gradients, draw the lecture."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from fastlin import descriptors
from fastlin._spec import KMEANS_FEATURES_DICTIONARIES as DICTIONARIES
from fastlin._spec import KMEANS_FEATURES_ENCODINGS as ENCODINGS
from fastlin._tiers import TIERS
from fastlin.losses import MULTI_CLASS
from fastlin.optim import SCHEDULES

#: the model settings of a run whose features have no preset (fastlin.descriptors), unless told otherwise
DEFAULT_MODEL = dict(
    model="softmax",
    loss=None,
    multi_class=None,
    lr=None,
    reg=None,
    iters=1000,
    polish=0,
    batch_size=200,
    schedule="step",
    standardize_eps=0.0,
    progress=False,
    storage="float32",
)


class _UsageError(Exception):
    """Arguments that cannot work together (exit status 2, as argparse's own errors)."""


class _OneLineParser(argparse.ArgumentParser):
    def error(self, message: str):  # one line and exit code 2, no usage block
        self.exit(2, f"{self.prog}: error: {message}\n")


def _finite_float(text: str) -> float:
    value = float(text)
    if not np.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
    return value


def _positive_float(text: str) -> float:
    value = _finite_float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _non_negative_float(text: str) -> float:
    value = _finite_float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _power(text: str) -> float:
    value = _finite_float(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {text}")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _seed(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative int, got {text}")
    return value


def _plot_path(text: str) -> str:
    """The PNG to write, checked before any work: a writable folder, not a folder itself."""
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty: give a file name such as run.png")
    path = Path(text).expanduser()
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder: give a file name such as {path / 'run.png'}")
    if path.suffix.lower() != ".png":
        path = path.with_name(path.name + ".png")  # what matplotlib would write: say so up front
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise argparse.ArgumentTypeError(f"folder {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise argparse.ArgumentTypeError(f"cannot write {str(path)!r} (permission denied)")
    return str(path)


def _features(text: str) -> str:
    kinds = text.split("+")
    unknown = [k for k in kinds if k not in descriptors.DESCRIPTORS]
    if unknown or len(set(kinds)) != len(kinds):
        raise argparse.ArgumentTypeError(
            f"expected descriptors from {tuple(descriptors.DESCRIPTORS)} joined by '+', got {text!r}"
        )
    return text


def _dataset(text: str) -> tuple[str, str | None]:
    if text in ("digits", "cifar10"):
        return text, None
    if text.startswith("cifar10:") and len(text) > len("cifar10:"):
        return "cifar10", text[len("cifar10:") :]
    raise argparse.ArgumentTypeError(f"expected 'digits', 'cifar10' or 'cifar10:PATH', got {text!r}")


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``fastlin train``, ``fastlin check`` and ``fastlin lecture``."""
    parser = _OneLineParser(prog="fastlin", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)
    train = sub.add_parser("train", help="train and evaluate a linear classifier")
    train.add_argument(
        "--dataset",
        type=_dataset,
        default=("digits", None),
        help="digits (default), cifar10 (downloaded once into $FASTLIN_DATA or ~/.cache/fastlin) or cifar10:PATH "
        "(a cifar-10-batches-py folder or the cifar-10-python.tar.gz archive)",
    )
    train.add_argument(
        "--features",
        type=_features,
        default="raw",
        help="the image descriptors, joined by '+' (e.g. hog+color+lbp): "
        + "; ".join(f"{d.name}: {d.summary}" for d in descriptors.DESCRIPTORS.values()),
    )
    train.add_argument(
        "--model",
        choices=("softmax", "svm"),
        help="default: softmax, or the features' preset (svm for coates, dsift-bow)",
    )
    train.add_argument(
        "--loss",
        choices=("hinge", "squared_hinge"),
        help="the SVM's loss (default: hinge; squared_hinge for coates, dsift-bow)",
    )
    train.add_argument(
        "--multi-class",
        choices=MULTI_CLASS,
        help="the SVM's margins: weston_watkins (CS231n's; the default) or ovr (one binary SVM per class; coates)",
    )
    train.add_argument(
        "--lr",
        type=_positive_float,
        help="learning rate (default: 4/D for softmax, 0.7/D for svm on D standardized features, or the preset's)",
    )
    train.add_argument("--reg", type=_non_negative_float, help="regularization strength (default: the model's)")
    train.add_argument("--batch-size", type=_positive_int, help="default: 200")
    train.add_argument("--iters", type=_positive_int, help="SGD steps (default: 1000)")
    train.add_argument(
        "--polish",
        metavar="N",
        type=_non_negative_int,
        help="N L-BFGS iterations on the full training set after the SGD steps (default: 0, or the preset's)",
    )
    train.add_argument(
        "--storage",
        choices=("float32", "float16"),
        help="how the feature matrices are held: float16 halves their memory (computed in float32; "
        "default: float32, or the preset's: float16 for coates)",
    )
    train.add_argument(
        "--tune",
        metavar="N",
        type=_positive_int,
        help="N trials of learning rate and regularization (log-uniform) on the validation split; the best is tested",
    )
    coates = train.add_argument_group("coates features (Coates, Lee & Ng 2011)")
    coates.add_argument(
        "--centroids", type=_positive_int, default=2400, help="codebook size (default 2400; the papers': 1600)"
    )
    coates.add_argument(
        "--patches",
        type=_positive_int,
        default=200_000,
        help="patches sampled for the codebook (default 200000; the paper: 400000, same accuracy, 15 s slower)",
    )
    coates.add_argument("--kmeans-iters", type=_positive_int, default=10, help="Lloyd iterations (default 10)")
    coates.add_argument("--patch-size", type=_positive_int, default=6, help="patch side in pixels (default 6)")
    coates.add_argument("--stride", type=_positive_int, default=1, help="step between encoded patches (default 1)")
    coates.add_argument(
        "--grid", type=_positive_int, default=2, help="pool over an N x N grid (default 2, the papers' quadrants)"
    )
    coates.add_argument(
        "--power", type=_power, default=0.5, help="pooled features to this power, in (0, 1] (default 0.5; paper: 1)"
    )
    coates.add_argument(
        "--encoding",
        choices=ENCODINGS,
        default="soft-split",
        help="the patches' code (default soft-split: Coates & Ng's sign-split soft threshold, ICML 2011; "
        "triangle: Coates, Lee & Ng 2011)",
    )
    coates.add_argument("--alpha", type=_non_negative_float, default=0.25, help="the soft threshold (default 0.25)")
    coates.add_argument(
        "--dictionary",
        choices=DICTIONARIES,
        default="omp1",
        help="the codebook: OMP-1 atoms (default), k-means centroids, or random whitened patches",
    )
    coates.add_argument(
        "--mirror",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="average each image's features with those of its left-right mirror image (default; twice the "
        "encoding time; 1.7-2.1 points of CIFAR-10 test accuracy)",
    )
    train.add_argument("--quiet", action="store_true", help="no progress bars")
    train.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the hog/color/lbp feature stage on a Dask cluster (e.g. tcp://scheduler:8786; needs fastlin[dask])",
    )
    train.add_argument(
        "--schedule", choices=SCHEDULES, help="learning-rate schedule (default: step; cosine for coates)"
    )
    train.add_argument("--seed", type=_seed, default=0)
    train.add_argument("--threads", type=_positive_int, help="threads (default: every core)")
    train.add_argument(
        "--plot", metavar="FILE.png", type=_plot_path, help="save the loss curve and the weight templates"
    )
    sub.add_parser("check", help="gradient-check every loss and print the relative errors")
    lecture = sub.add_parser(
        "lecture", help="draw the lecture's pictures from real runs: PNG figures, their numbers, index.html"
    )
    lecture.add_argument("--dataset", type=_dataset, default=("digits", None), help="as for train (default: digits)")
    lecture.add_argument("--out", default="lecture", help="the folder to write (default: ./lecture)")
    lecture.add_argument(
        "--train-size",
        type=_positive_int,
        help=f"training images the experiments use (default: all of the digits, {LECTURE_TRAIN_SIZE} of CIFAR-10)",
    )
    lecture.add_argument("--seed", type=_seed, default=0)
    return parser


def _stratified_split(y: np.ndarray, fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Indices (keep, held_out), with ``fraction`` of every class held out."""
    held = []
    for label in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == label))
        held.append(idx[: int(round(fraction * len(idx)))])
    held_out = np.sort(np.concatenate(held))
    keep = np.setdiff1d(np.arange(len(y)), held_out)
    return keep, held_out


def _load(name: str, path: str | None, seed: int):
    """(train, val, test) splits of images and labels, and the class names."""
    from fastlin.datasets import CIFAR10_CLASSES, load_cifar10, load_digits

    if name == "digits":
        images, labels = load_digits()
        rng = np.random.default_rng(seed)
        rest, test = _stratified_split(labels, 0.25, rng)
        train, val = _stratified_split(labels[rest], 0.1, rng)
        train, val = rest[train], rest[val]
        splits = (images[train], labels[train]), (images[val], labels[val]), (images[test], labels[test])
        return splits, tuple(str(d) for d in range(10))
    if path is None:
        from fastlin.datasets import fetch_cifar10

        path = fetch_cifar10()
    X_train, y_train, X_test, y_test = load_cifar10(path)
    # CS231n's split: the last 1000 of the 50000 training images validate
    n = len(y_train) - min(1000, len(y_train) // 10)
    return ((X_train[:n], y_train[:n]), (X_train[n:], y_train[n:]), (X_test, y_test)), CIFAR10_CLASSES


def _descriptor_params(name: str, args: argparse.Namespace) -> dict:
    """The command's options of descriptor ``name``, as parameters of its batch function or estimator."""
    d = descriptors.get(name)
    params = dict(random_state=args.seed) if d.fitted else {}
    if name == "coates":
        params.update(
            n_centroids=args.centroids,
            patch_size=args.patch_size,
            stride=args.stride,
            n_patches=args.patches,
            max_iter=args.kmeans_iters,
            pooling_grid=(args.grid, args.grid),
            power=args.power,
            encoding=args.encoding,
            alpha=args.alpha,
            dictionary=args.dictionary,
            mirror=args.mirror,
            verbose=not args.quiet,
        )
    return params


def _featurize(splits, args: argparse.Namespace, times: dict) -> tuple[list[np.ndarray], Callable]:
    """Feature matrices of the image splits, float32 or the settings' ``storage``, and ``encode``.

    The first split is the training set; ``encode(images)`` gives the features of more
    images with the same fitted descriptors (the test images, after training).
    The descriptors come from :data:`fastlin.descriptors.DESCRIPTORS`, in the order given.
    The time of each stage goes into ``times``: the descriptors that need no fitting
    together as "features" (on the Dask cluster with ``--scheduler``), the fitting of the
    others as "codebook" and their transforms as "encode".
    """
    images = splits[0]
    if args.scheduler:
        import fastlin.dask

        threads = fastlin.dask.task_threads  # on a worker: its share of the cores
    else:
        threads = args.threads
    columns: list[list[np.ndarray]] = [[] for _ in splits]
    plain = []
    for name in args.features.split("+"):
        d = descriptors.get(name)
        if d.needs == "rgb" and images.ndim != 4:
            raise _UsageError(f"--features {name} needs RGB images: use --dataset cifar10 or cifar10:PATH")
        plain.append(d.featurizer(images.shape[1:], threads, **_descriptor_params(name, args)))
    storage = np.dtype(_model_settings(args)["storage"])
    fitted = [f for f in plain if f.descriptor.fitted]
    plain = [f for f in plain if not f.descriptor.fitted]
    for featurizer in fitted:
        featurizer.dtype = storage  # large codes: written straight into the storage dtype
    t = time.perf_counter()
    if plain and args.scheduler:
        blocks = _on_cluster(args.scheduler, splits, plain)
    else:
        blocks = [np.hstack([f(x) for f in plain]) if plain else None for x in splits]
    for i, block in enumerate(blocks):
        if block is not None:
            columns[i].append(block)
    if plain:
        times["features"] = time.perf_counter() - t
    for featurizer in fitted:
        featurizer.n_threads = args.threads  # fitted locally
        t = time.perf_counter()
        featurizer.fit(images)
        times["codebook"] = times.get("codebook", 0.0) + time.perf_counter() - t
        t = time.perf_counter()
        for i, x in enumerate(splits):
            columns[i].append(featurizer(x))
        times["encode"] = times.get("encode", 0.0) + time.perf_counter() - t

    def join(cols: list[np.ndarray]) -> np.ndarray:
        # one block is kept as it is: no copy of a large matrix of k-means features
        return (cols[0] if len(cols) == 1 else np.hstack(cols)).astype(storage, copy=False)

    def encode(x: np.ndarray) -> np.ndarray:
        cols = []
        if plain:
            t = time.perf_counter()
            local = not args.scheduler
            cols.append(np.hstack([f(x) for f in plain]) if local else _on_cluster(args.scheduler, [x], plain)[0])
            times["features"] += time.perf_counter() - t
        for featurizer in fitted:
            t = time.perf_counter()
            cols.append(featurizer(x))
            times["encode"] += time.perf_counter() - t
        return join(cols)

    return [join(cols) for cols in columns], encode


def _on_cluster(address: str, splits, fns) -> list[np.ndarray]:
    """The features of every split computed on the Dask cluster at ``address``, chunks of 1000 images."""
    import dask
    import dask.array as da
    from distributed import Client

    import fastlin.dask

    with Client(address, timeout="30s"):
        lazy = [
            fastlin.dask.extract_features(da.from_array(x, chunks=(1000, *x.shape[1:])), fns)
            for x in splits
        ]  # fmt: skip
        return [np.ascontiguousarray(f) for f in dask.compute(*lazy)]


def _plot(path: str, model, images_shape: tuple, features: str, class_names: tuple, search=None) -> str:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ValueError("--plot needs matplotlib: pip install matplotlib") from None
    C = model.coef_.shape[1]
    templates = features == "raw"
    fig = plt.figure(figsize=(12, 6 if templates else 4))
    cols = max(C, 2)
    grid = fig.add_gridspec(2 if templates else 1, cols)
    ax = fig.add_subplot(grid[0, : cols // 2] if search is not None else grid[0, :])
    ax.plot(model.loss_history_, lw=0.8)
    ax.set_xlabel("SGD step")
    ax.set_ylabel("loss")
    ax.set_title("training loss" + (" (best trial)" if search is not None else ""))
    if search is not None:  # the course's picture of a search: validation accuracy over (lr, reg)
        results = search.cv_results_
        rates = results["param_learning_rate"].astype(float)
        regs = results["param_reg"].astype(float)
        sub = fig.add_subplot(grid[0, cols // 2 :])
        dots = sub.scatter(rates, regs, c=results["mean_test_score"], cmap="viridis", s=60, edgecolors="black")
        sub.set_xscale("log")
        sub.set_yscale("log")
        sub.set_xlabel("learning rate")
        sub.set_ylabel("regularization strength")
        sub.set_title("search: validation accuracy of each trial")
        fig.colorbar(dots, ax=sub, label="val accuracy")
    if templates:  # each column of W, shaped as an image: the classic picture of a linear classifier
        for c in range(C):
            w = model.coef_[:, c].reshape(images_shape)
            w = (w - w.min()) / (np.ptp(w) or 1.0)
            sub = fig.add_subplot(grid[1, c])
            sub.imshow(w, cmap=None if w.ndim == 3 else "gray")
            sub.set_title(class_names[int(model.classes_[c])], fontsize=9)
            sub.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    what = "loss curve and weight templates" if templates else "loss curve (templates need --features raw)"
    return what + (", and the search" if search is not None else "")


def _model_settings(args: argparse.Namespace) -> dict:
    """The model's settings: what the user gave, else the preset of the features, else the defaults.

    The preset is the first of the chosen descriptors' (``Descriptor.model``); its rates were
    tuned for its own model: another ``--model`` starts from the plain defaults.
    """
    presets = [descriptors.get(k).model for k in args.features.split("+") if descriptors.get(k).model]
    preset = {**DEFAULT_MODEL, **presets[0]} if presets else DEFAULT_MODEL
    if args.model is not None and args.model != preset["model"]:
        preset = {**DEFAULT_MODEL, "model": args.model}
    given = dict(
        model=args.model,
        loss=args.loss,
        multi_class=args.multi_class,
        lr=args.lr,
        reg=args.reg,
        iters=args.iters,
        polish=args.polish,
        storage=args.storage,
        batch_size=args.batch_size,
        schedule=args.schedule,
    )
    return {k: given[k] if given.get(k) is not None else preset[k] for k in preset}


def _tune(model, Ftr, ytr, Fval, yval, n_trials: int, seed: int):
    """``n_trials`` of learning rate and regularization, log-uniform around the model's own; prints each."""
    from scipy.stats import loguniform

    import fastlin

    lr, reg = model.learning_rate, max(model.reg, 1e-4)
    space = {"learning_rate": loguniform(lr / 30, lr * 30), "reg": loguniform(reg / 100, reg * 100)}
    jobs = 2 if model.n_threads is None else 1  # measured faster on 2 cores (fastlin.tune's docstring)
    search = fastlin.tune(model, Ftr, ytr, Fval, yval, params=space, n_iter=n_trials, random_state=seed, n_jobs=jobs)
    results = search.cv_results_
    for k, trial in enumerate(results["params"]):
        print(
            f"trial {k + 1:3d}  lr {trial['learning_rate']:.3e}  reg {trial['reg']:.3e}  "
            f"val {results['mean_test_score'][k]:.4f}  train {results['mean_train_score'][k]:.4f}  "
            f"time {results['mean_fit_time'][k]:.2f}s"
        )
    best = search.best_params_
    print(f"best      lr {best['learning_rate']:.3e}  reg {best['reg']:.3e}  val {search.best_score_:.4f}")
    return search


#: the first steps watched for a rising loss, and how far above its start counts as rising
EARLY_STEPS, RISE = 100, 1.5


def _warn_if_the_loss_rose(history: np.ndarray) -> None:
    """One line on stderr when the loss of the first steps climbs well above where it began.

    The course's "learning rate too high" curve: SGD overshoots, the loss climbs, and only a
    decaying schedule brings it back; the run ends with a poor model and no error.
    """
    if len(history) < 2:
        return
    early = history[1:EARLY_STEPS]
    if early.max() > RISE * history[0]:
        print(
            f"fastlin: warning: the loss rose from {history[0]:.3g} to {early.max():.3g} within the first "
            f"{len(early) + 1} steps: the learning rate is likely too high (try a smaller --lr)",
            file=sys.stderr,
        )


def _check_arguments(args: argparse.Namespace, coates: bool, image_shape: tuple | None) -> None:
    """Options that cannot work together, or with the images, found before any work (exit 2)."""
    if args.scheduler:
        try:
            import fastlin.dask  # noqa: F401
        except ImportError:
            raise _UsageError('--scheduler needs Dask: pip install "fastlin[dask]"') from None
    if not coates:
        return
    if args.centroids > args.patches:
        raise _UsageError(
            f"--centroids {args.centroids} is more than --patches {args.patches}: k-means needs a patch per centroid"
        )
    if image_shape is None:
        return
    H, W = image_shape[:2]
    p, s, g = args.patch_size, args.stride, args.grid
    if p > min(H, W):
        raise _UsageError(f"--patch-size {p} is larger than the {H}x{W} images")
    R, Q = (H - p) // s + 1, (W - p) // s + 1
    if g > min(R, Q):
        raise _UsageError(
            f"--grid {g} has more cells than the {R}x{Q} patch positions (--patch-size {p}, --stride {s})"
        )


def train(args: argparse.Namespace) -> int:
    """``fastlin train``: load, featurize, standardize, fit, and report accuracies and times."""
    from fastlin import LinearSVM, SoftmaxClassifier
    from fastlin.classifiers import default_learning_rate
    from fastlin.preprocessing import Standardizer

    coates = "coates" in args.features.split("+")
    _check_arguments(args, coates, image_shape=None)
    times = {}
    t = time.perf_counter()
    ((Xtr, ytr), (Xval, yval), (Xte, yte)), class_names = _load(*args.dataset, args.seed)
    times["load"] = time.perf_counter() - t
    _check_arguments(args, coates, image_shape=Xtr.shape[1:])
    # the test images are encoded after training, once the training features are freed:
    # a run holds two of the three large matrices at most
    (Ftr, Fval), encode = _featurize([Xtr, Xval], args, times)
    settings = _model_settings(args)
    t = time.perf_counter()
    # in place: the k-means features are large
    scaler = Standardizer(eps=settings["standardize_eps"], copy=False).fit(Ftr)
    Ftr, Fval = (scaler.transform(f) for f in (Ftr, Fval))
    times["standardize"] = time.perf_counter() - t
    cls = SoftmaxClassifier if settings["model"] == "softmax" else LinearSVM
    kw = dict(
        batch_size=settings["batch_size"],
        num_iters=settings["iters"],
        polish_iters=settings["polish"],
        schedule=settings["schedule"],
        random_state=args.seed,
        n_threads=args.threads,
        verbose=settings["progress"] and not args.quiet,
    )
    kw["learning_rate"] = (
        settings["lr"] if settings["lr"] is not None else default_learning_rate(settings["model"], Ftr.shape[1])
    )
    if settings["reg"] is not None:
        kw["reg"] = settings["reg"]
    for option, key in (("--loss", "loss"), ("--multi-class", "multi_class")):
        if settings[key] is not None:
            if cls is not LinearSVM:
                raise _UsageError(f"{option} is an option of --model svm")
            kw[key] = settings[key]
    t = time.perf_counter()
    search = None
    if args.tune:
        search = _tune(cls(**kw), Ftr, ytr, Fval, yval, args.tune, args.seed)
        model = search.best_estimator_
    else:
        model = cls(**kw).fit(Ftr, ytr)
    times["train"] = time.perf_counter() - t
    _warn_if_the_loss_rose(model.loss_history_)
    t = time.perf_counter()
    acc = {name: model.score(F, y) for name, F, y in (("train", Ftr, ytr), ("val", Fval, yval))}
    times["evaluate"] = time.perf_counter() - t
    n_values, half = Ftr.shape[1], Ftr.dtype == np.float16
    del Ftr, Fval
    Fte = encode(Xte)
    t = time.perf_counter()
    Fte = scaler.transform(Fte)
    times["standardize"] += time.perf_counter() - t
    t = time.perf_counter()
    acc["test"] = model.score(Fte, yte)
    times["evaluate"] += time.perf_counter() - t
    name, _ = args.dataset
    print(
        f"{name}: {len(ytr)} train / {len(yval)} val / {len(yte)} test, "
        f"{args.features} features ({n_values} values{', float16' if half else ''}), "
        f"{settings['model']}"
        + (f" ({model.loss}{', one-vs-rest' if model.multi_class == 'ovr' else ''})" if cls is LinearSVM else "")
        + f", {settings['iters']} steps of {settings['batch_size']}"
        + (f" and {model.n_polish_iter_} L-BFGS iterations" if model.n_polish_iter_ else "")
    )
    print(f"accuracy  train {acc['train']:.4f}  val {acc['val']:.4f}  test {acc['test']:.4f}")
    print("time      " + "  ".join(f"{k} {v:.2f}s" for k, v in times.items()))
    print(f"loss      first {model.loss_history_[0]:.4f}  last {model.loss_history_[-1]:.4f}")
    if args.plot:
        what = _plot(args.plot, model, Xtr.shape[1:], args.features, class_names, search)
        print(f"plot      {args.plot}: {what}")
    return 0


#: the CIFAR-10 training images ``fastlin lecture`` uses by default (its runs stay short)
LECTURE_TRAIN_SIZE = 10_000


def lecture(args: argparse.Namespace) -> int:
    """``fastlin lecture``: run the lecture's experiments and write their figures and page."""
    from fastlin import lecture as lessons

    start = time.perf_counter()
    ((Xtr, ytr), val, test), class_names = _load(*args.dataset, args.seed)
    size = args.train_size or (len(ytr) if args.dataset[0] == "digits" else LECTURE_TRAIN_SIZE)
    data = lessons.prepare(((Xtr[:size], ytr[:size]), val, test), class_names, args.dataset[0])
    print(f"{args.dataset[0]}: {len(data.ytr)} train / {len(data.yval)} val / {len(data.yte)} test images")
    lessons.run(data, args.out, seed=args.seed, log=lambda line: print(line, flush=True))
    seconds = time.perf_counter() - start
    print(f"wrote {Path(args.out) / 'index.html'} and {len(lessons.EXPERIMENTS)} figures in {seconds:.0f} s")
    return 0


def check() -> int:
    """``fastlin check``: gradient-check every loss in every tier; 1 if any disagrees."""
    import functools

    import fastlin

    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 20))
    y = rng.integers(0, 5, 50)
    W = 0.1 * rng.standard_normal((20, 5))
    worst = 0.0
    losses = (
        ("svm", fastlin.svm_loss),
        ("squared_hinge", fastlin.squared_hinge_loss),
        ("softmax", fastlin.softmax_loss),
        ("ovr_svm", functools.partial(fastlin.svm_loss, multi_class="ovr")),
        ("ovr_squared_hinge", functools.partial(fastlin.squared_hinge_loss, multi_class="ovr")),
    )
    for name, fn in losses:
        for impl in TIERS:
            _, dW = fn(W, X, y, 0.1, impl=impl)
            errors = fastlin.grad_check_sparse(
                lambda w, fn=fn, impl=impl: fn(w, X, y, 0.1, impl=impl)[0], W, dW, 10, seed=1
            )
            worst = max(worst, float(errors.max()) if np.isfinite(errors).all() else np.inf)
            print(
                f"{name:17s} {impl:10s} max relative error {errors.max():.2e}  " + " ".join(f"{e:.1e}" for e in errors)
            )
    ok = worst < 1e-7
    print("gradients " + ("agree" if ok else "DISAGREE") + f" with centred differences (worst {worst:.2e})")
    return 0 if ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fastlin`` console script and of ``python -m fastlin``.

    Exit status: 0 on success, 2 for bad usage (arguments, a missing data folder), 1 for a
    run that failed (corrupt data, divergence, no memory, a file that cannot be written),
    130 when interrupted, 141 (quietly) when the reader of its output closed the pipe. Every
    error is one line on stderr.
    """
    try:
        args = build_parser().parse_args(argv)
        commands = {"train": lambda: train(args), "check": check, "lecture": lambda: lecture(args)}
        return commands[args.command]()
    except KeyboardInterrupt:
        print("fastlin: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (``fastlin check | head``): stop quietly, as a Unix tool killed
        # by SIGPIPE does, and keep Python from failing again when it flushes stdout at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except (_UsageError, FileNotFoundError, NotADirectoryError) as e:
        print(f"fastlin: error: {e}", file=sys.stderr)
        return 2
    except (ValueError, TypeError, FloatingPointError, OSError) as e:
        print(f"fastlin: error: {e}", file=sys.stderr)
        return 1
    except MemoryError:
        print(
            "fastlin: error: out of memory (try fewer --iters, a smaller --batch-size or other features)",
            file=sys.stderr,
        )
        return 1
