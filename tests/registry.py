"""The table of operations: what the tier tests check and what the ladder in ``bench/`` times.

One :class:`Operation` per hot operation names the public call (in any tier), the inputs it
is measured on, the tolerance between tiers, and the outside peers with the way each is
compared. ``tests/test_tiers.py`` derives the tier-equivalence matrix from it (dtype x
memory layout x read-only x threads) and ``bench/test_ladder.py`` the benchmarks, so a new
operation is one entry here plus its kernels, and no contender is timed without being
checked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache, partial

import numpy as np

import fastlin
from fastlin._tiers import TIERS
from fastlin.kmeans_features import unit_rows
from tests import peers

#: the CS231n notebook's regularization strength, used wherever a loss is benchmarked
REG = 2.5e4


@dataclass(frozen=True)
class Peer:
    """An outside implementation: ``make(case)`` returns a zero-argument runner, or None when
    its library is missing; ``check(peer_result, fastlin_result, case)`` asserts they agree."""

    name: str
    make: Callable
    check: Callable


@dataclass(frozen=True)
class Case:
    """Inputs of one operation at one shape and dtype; ``data`` holds the arrays by name."""

    op: str
    shape: tuple
    dtype: str
    data: dict
    params: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return "x".join(map(str, self.shape))


@dataclass(frozen=True)
class Operation:
    """One row of the table.

    ``run(case, data, impl, n_threads)`` calls fastlin (``data`` may be a re-laid-out copy of
    ``case.data``); ``main`` names the array of ``data`` the layout matrix varies;
    ``compare(a, b, dtype)`` asserts two fastlin results agree between tiers.
    """

    name: str
    run: Callable
    make: Callable  # (shape, dtype, seed) -> Case
    main: str
    dtypes: tuple
    test_shapes: tuple  # small: every tier, every layout
    bench_shapes: tuple  # the ladder's shapes
    smoke_shape: tuple  # the one small shape a plain `pytest` runs each benchmark on
    compare: Callable
    tiers: tuple = TIERS
    naive_bench_limit: int = 0  # largest input size (elements) the naive tier is timed on
    peers: tuple = ()
    flops: Callable | None = None  # shape -> floating-point operations of one call
    bench_dtypes: tuple = ()  # the dtypes the ladder times (default: the first of ``dtypes``)
    test_params: dict = field(default_factory=dict)  # parameters of the tier tests' calls
    bench_params: dict = field(default_factory=dict)  # parameters of the ladder's calls
    topic: str = ""  # its topic in fastlin._tiers.CONTRACTS, when that is not its name
    family: str = ""  # the ladder's family, when its topic is not a descriptor's name (bench.report.family)

    @property
    def contract(self) -> str:
        return self.topic or self.name

    def case(self, shape, dtype, *, bench=False, seed=0) -> Case:
        case = self.make(tuple(shape), dtype, seed)
        extra = self.bench_params if bench else self.test_params
        return Case(case.op, case.shape, case.dtype, case.data, {**case.params, **extra})


# --- comparisons -------------------------------------------------------------------------

TOL = {"float32": 1e-4, "float64": 1e-10, "uint8": 1e-10}


def _close(a, b, rtol):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    scale = max(1.0, float(np.abs(b).max()))
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * scale)


def compare_loss(a, b, dtype):
    _close(a[0], b[0], TOL[dtype])
    _close(a[1], b[1], TOL[dtype])
    assert a[1].dtype == b[1].dtype and a[1].shape == b[1].shape


def compare_features(atol):
    def compare(a, b, dtype):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=0, atol=atol)

    return compare


def compare_kmeans(a, b, dtype):
    np.testing.assert_allclose(a[0], b[0], rtol=TOL[dtype], atol=TOL[dtype])
    np.testing.assert_array_equal(a[1], b[1])
    _close(a[2], b[2], TOL[dtype])


def check_allclose(atol):
    """A peer check: fastlin's result within ``atol`` of the peer's, entry by entry."""

    def check(peer, ours, case):
        np.testing.assert_allclose(ours, peer, rtol=0, atol=atol)

    return check


def _opencv(loop, **kw):
    """A peer maker for an OpenCV loop over a uint8 batch (None without OpenCV or for floats)."""

    def make(case):
        images = case.data["images"]
        if peers.cv2 is None or images.dtype != np.uint8:
            return None
        return lambda: loop(images, **kw)

    return make


def same_shape_finite(peer, ours, case):
    """For peers that compute a different variant (OpenCV's HOG, its hue on 0-255)."""
    assert np.shape(peer)[0] == np.shape(ours)[0] and np.isfinite(peer).all()


# --- the operations ----------------------------------------------------------------------


def _loss_case(shape, dtype, seed):
    N, D, C = shape
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, D), dtype=np.float32).astype(dtype)
    W = (1e-2 * rng.standard_normal((D, C))).astype(dtype)
    y = rng.integers(0, C, N)
    return Case("loss", shape, dtype, {"X": X, "W": W, "y": y})


def _bind_loss(fn, case):
    d = case.data
    return lambda: fn(d["W"], d["X"], d["y"], case.params["reg"])


def _check_loss(peer_result, ours, case):
    compare_loss((np.float64(peer_result[0]), np.asarray(peer_result[1])), ours, case.dtype)


#: the losses' ladder: CIFAR's raw pixels, a wide head, ImageNet's 1000 classes, Coates' features
LOSS_BENCH_SHAPES = dict.fromkeys(
    ("svm", "squared_hinge", "softmax"),
    ((500, 3073, 10), (49000, 3073, 10), (10000, 512, 100), (1000, 4096, 1000), (256, 14400, 10)),
)
LOSS_BENCH_SHAPES["ovr_squared_hinge"] = ((49000, 3073, 10), (10000, 512, 100), (256, 14400, 10))


def _loss_op(kind: str) -> Operation:
    if kind.startswith("ovr_"):  # the one-versus-rest L2-SVM: a multi_class of the squared hinge
        public = partial(fastlin.squared_hinge_loss, multi_class="ovr")
        numpy_peer = Peer("numpy", lambda case: _bind_loss(peers.numpy_ovr_squared_hinge_loss, case), _check_loss)
    else:
        public = getattr(fastlin, f"{kind}_loss")
        cs231n = getattr(peers, f"cs231n_{kind}_loss_vectorized")
        numpy_peer = Peer("cs231n", lambda case: _bind_loss(cs231n, case), _check_loss)

    def run(case, data, impl, n_threads):
        return public(data["W"], data["X"], data["y"], case.params["reg"], impl=impl, n_threads=n_threads)

    def make_torch(case):
        fn = peers.TORCH_LOSSES[kind]
        if fn is None:
            return None
        import torch

        torch.set_num_threads(fastlin._config.max_threads())
        d = case.data
        return lambda: fn(d["W"], d["X"], d["y"], case.params["reg"])

    return Operation(
        name=f"{kind}",
        topic="losses",
        run=run,
        make=_loss_case,
        main="X",
        dtypes=("float32", "float64"),
        test_shapes=((37, 11, 5), (130, 7, 3), (70, 9, 40)),  # the last: the GEMM path (C >= 32)
        bench_shapes=LOSS_BENCH_SHAPES[kind],
        smoke_shape=(64, 33, 10),
        compare=compare_loss,
        naive_bench_limit=500 * 3073 * 10,
        peers=(numpy_peer, Peer("torch", make_torch, _check_loss)),
        flops=lambda s: 4 * s[0] * s[1] * s[2],
        bench_dtypes=("float32", "float64"),
        test_params={"reg": 0.1},
        bench_params={"reg": REG},
    )


HOG_KW = dict(orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2))


@lru_cache(maxsize=8)
def _camera():
    from skimage import data

    return data.camera()


def image_case(shape, dtype, seed):
    """A batch of images: random ones, or crops of scikit-image's camera for a single image."""
    rng = np.random.default_rng(seed)
    if shape[0] == 1:
        H, W = shape[1:3]
        images = _camera()[:H, :W][None].astype(dtype)
    elif dtype == "uint8":
        images = rng.integers(0, 256, shape).astype(np.uint8)
    else:
        images = (rng.random(shape) * 255).astype(dtype)
    return Case("images", shape, dtype, {"images": images})


def _hog_run(case, data, impl, n_threads):
    axis = -1 if data["images"].ndim == 4 else None
    return fastlin.hog_batch(data["images"], channel_axis=axis, impl=impl, n_threads=n_threads, **HOG_KW)


def _make_skimage_hog(case):
    images = case.data["images"]
    axis = -1 if images.ndim == 4 else None
    return lambda: peers.skimage_hog_loop(images, channel_axis=axis, **HOG_KW)


HOG = Operation(
    name="hog",
    run=_hog_run,
    make=image_case,
    main="images",
    dtypes=("uint8", "float32", "float64"),
    test_shapes=((3, 19, 21), (2, 17, 16, 3), (1, 24, 24)),
    bench_shapes=((1000, 32, 32), (1000, 32, 32, 3), (1, 128, 64), (1, 512, 512)),
    smoke_shape=(4, 16, 16),
    compare=compare_features(1e-6),
    naive_bench_limit=128 * 64,
    peers=(
        Peer("skimage", _make_skimage_hog, check_allclose(1e-5)),
        Peer(
            "opencv", _opencv(peers.opencv_hog_loop, pixels_per_cell=(8, 8), cells_per_block=(2, 2)), same_shape_finite
        ),
    ),
)


def _color_case(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    if dtype == "uint8":
        images = rng.integers(0, 256, shape).astype(np.uint8)
    else:
        images = (rng.integers(0, 256, shape) * rng.choice([1.0, 0.5], shape)).astype(dtype)
    return Case("color", shape, dtype, {"images": images})


def _color_run(case, data, impl, n_threads):
    return fastlin.color_histogram_hsv_batch(data["images"], impl=impl, n_threads=n_threads)


def _make_cs231n_color(case):
    images = case.data["images"]
    return lambda: np.stack([peers.cs231n_color_histogram_hsv(im) for im in images])


COLOR = Operation(
    name="color",
    run=_color_run,
    make=_color_case,
    main="images",
    dtypes=("uint8", "float32", "float64"),
    test_shapes=((3, 9, 7, 3), (1, 12, 12, 3)),
    bench_shapes=((1000, 32, 32, 3),),
    smoke_shape=(4, 8, 8, 3),
    compare=compare_features(1e-12),
    naive_bench_limit=0,
    peers=(
        Peer("cs231n", _make_cs231n_color, check_allclose(1e-12)),
        Peer("opencv", _opencv(peers.opencv_hue_histogram_loop), same_shape_finite),
    ),
)


def _kmeans_case(shape, dtype, seed):
    N, D, K, iters = shape
    rng = np.random.default_rng(seed)
    means = rng.uniform(-5, 5, (K, D))
    X = (means[rng.integers(0, K, N)] + rng.standard_normal((N, D))).astype(dtype)
    return Case("kmeans", shape, dtype, {"X": X}, {"k": K, "iters": iters})


def _kmeans_run(case, data, impl, n_threads):
    k, iters = case.params["k"], case.params["iters"]
    return fastlin.kmeans(data["X"], k, max_iter=iters, tol=0, random_state=0, impl=impl, n_threads=n_threads)


def _make_sklearn_kmeans(case):
    return peers.with_sklearn(lambda: peers.sklearn_kmeans(case.data["X"], case.params["k"], case.params["iters"]))


def _check_sklearn_kmeans(peer, ours, case):
    # different seeding draws: the inertias agree within a few percent, not to the bit
    assert ours[2] <= 1.05 * peer[2]


KMEANS = Operation(
    name="kmeans",
    run=_kmeans_run,
    make=_kmeans_case,
    main="X",
    dtypes=("float32", "float64"),
    test_shapes=((150, 5, 4, 10),),
    bench_shapes=((100_000, 32, 64, 30),),
    smoke_shape=(400, 8, 4, 3),
    compare=compare_kmeans,
    naive_bench_limit=0,
    peers=(Peer("sklearn", _make_sklearn_kmeans, _check_sklearn_kmeans),),
)


@lru_cache(maxsize=4)
def _codebook(shape, dtype):
    """A codebook fitted once per image shape (the fit is not what is timed)."""
    images = image_case((max(8, shape[0]), *shape[1:]), dtype, 1).data["images"]
    bow = fastlin.BagOfVisualWords(n_words=16, patch_size=6, stride=1, max_patches=10, random_state=0)
    return bow.fit(images).words_


def _bow_case(shape, dtype, seed):
    case = image_case(shape, dtype, seed)
    return Case("bow", shape, dtype, case.data, {"words": _codebook(shape, dtype)})


def _bow_run(case, data, impl, n_threads):
    bow = fastlin.BagOfVisualWords(n_words=16, patch_size=6, stride=1, normalize=None, impl=impl, n_threads=n_threads)
    images = data["images"]
    bow.words_ = case.params["words"]
    bow.image_shape_ = images.shape[1:3] + ((images.shape[3],) if images.ndim == 4 else (1,))
    return bow.transform(images)


def _make_sklearn_bow(case):
    return peers.with_sklearn(lambda: peers.sklearn_bow_counts(case.data["images"], case.params["words"], 6))


def _check_sklearn_bow(peer, ours, case):
    # float32 distances: a patch equidistant to two words may go either way
    assert np.abs(peer - ours).sum() <= 0.01 * ours.sum()


BOW = Operation(
    name="bow",
    run=_bow_run,
    make=_bow_case,
    main="images",
    dtypes=("uint8", "float32"),
    test_shapes=((3, 14, 13), (2, 12, 12, 3)),
    bench_shapes=((1000, 32, 32),),
    smoke_shape=(4, 12, 12),
    compare=compare_features(0),
    naive_bench_limit=0,
    peers=(Peer("sklearn", _make_sklearn_bow, _check_sklearn_bow),),
)


def _lbp_case(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    if shape[0] == 1:
        images = _camera()[: shape[1], : shape[2]][None].astype(dtype)
    else:
        images = rng.integers(0, 256, shape).astype(dtype)
    return Case("lbp", shape, dtype, {"images": images})


def _lbp_run(case, data, impl, n_threads):
    return fastlin.lbp_batch(data["images"], 8, 1, "uniform", impl=impl, n_threads=n_threads)


def _make_skimage_lbp(case):
    images = case.data["images"]
    return lambda: peers.skimage_lbp_loop(images, 8, 1, "uniform")


LBP = Operation(
    name="lbp",
    run=_lbp_run,
    make=_lbp_case,
    main="images",
    dtypes=("uint8", "float64"),
    test_shapes=((3, 13, 11), (1, 30, 25)),
    bench_shapes=((1000, 32, 32), (1, 512, 512)),
    smoke_shape=(4, 16, 16),
    compare=compare_features(0),
    naive_bench_limit=64 * 64,
    peers=(Peer("skimage", _make_skimage_lbp, check_allclose(0)),),
)


def _lbp_hist_run(case, data, impl, n_threads):
    return fastlin.lbp_histogram(data["images"], 8, 1, "uniform", cells=(4, 4), impl=impl, n_threads=n_threads)


LBP_HISTOGRAM = Operation(
    name="lbp_histogram",
    topic="lbp",
    run=_lbp_hist_run,
    make=_lbp_case,
    main="images",
    dtypes=("uint8",),
    test_shapes=((3, 13, 11),),
    bench_shapes=((1000, 32, 32),),
    smoke_shape=(4, 16, 16),
    compare=compare_features(0),
)


@lru_cache(maxsize=4)
def _kmeans_features(shape, dtype, K):
    """A KMeansFeatures fitted once per image shape and codebook size (the fit is not timed)."""
    images = image_case((max(8, shape[0]), *shape[1:]), dtype, 1).data["images"]
    return fastlin.KMeansFeatures(n_centroids=K, n_patches=max(K, 2000), max_iter=3, random_state=0).fit(images)


def _kmeans_features_case(shape, dtype, seed):
    *image_shape, K = shape
    case = image_case(tuple(image_shape), dtype, seed)
    return Case("kmeans_features", shape, dtype, case.data, {"K": K})


def _kmeans_features_runner(**settings):
    def run(case, data, impl, n_threads):
        images = data["images"]
        fitted = _kmeans_features(images.shape, str(images.dtype), case.params["K"])
        encoder = fastlin.KMeansFeatures(**{**fitted.get_params(), "impl": impl, "n_threads": n_threads, **settings})
        for name in ("centroids_", "shift_", "whiten_", "image_shape_"):
            setattr(encoder, name, getattr(fitted, name))
        if settings:  # Coates & Ng's soft threshold wants unit-norm atoms
            encoder.centroids_ = unit_rows(fitted.centroids_)
        return encoder.transform(images)

    return run


def _kmeans_features_flops(shape):
    N, H, W, C, K = shape
    D = 36 * C
    return 2 * N * (H - 5) * (W - 5) * D * (K + D)


def _kmeans_features_op(name: str, **settings) -> Operation:
    return Operation(
        name=name,
        topic="kmeans_features",
        run=_kmeans_features_runner(**settings),
        make=_kmeans_features_case,
        main="images",
        dtypes=("uint8", "float32"),
        test_shapes=((3, 11, 10, 3, 7), (2, 9, 9, 1, 5)),
        bench_shapes=((200, 32, 32, 3, 1600),),
        smoke_shape=(4, 12, 12, 3, 16),
        compare=compare_features(2e-3),
        naive_bench_limit=0,
        flops=_kmeans_features_flops,
    )


KMEANS_FEATURES = _kmeans_features_op("kmeans_features")
#: Coates & Ng's sign-split soft threshold (ICML 2011) on unit-norm atoms
KMEANS_FEATURES_SOFT = _kmeans_features_op("kmeans_features_soft", encoding="soft-split", alpha=0.25)

#: every operation, by name
#: the ladder's dense SIFT: VLFeat's PHOW-like size 4, step 2 (100 frames on a 32x32 image)
DSIFT_KW = dict(step=2, size=4)


def _dsift_run(fast):
    def run(case, data, impl, n_threads):
        return fastlin.dsift_batch(data["images"], fast=fast, impl=impl, n_threads=n_threads, **DSIFT_KW)[1:]

    return run


def _compare_dsift(a, b, dtype):
    for x, y in zip(a, b, strict=True):  # norms and descriptors: every tier is VLFeat's bits
        np.testing.assert_array_equal(x, y)


def _make_vlfeat_dsift(fast):
    def make(case):
        images = case.data["images"]
        if peers.vlfeat_dsift_loop(images[:1], fast=fast, **DSIFT_KW) is None:
            return None
        return lambda: peers.vlfeat_dsift_loop(images, fast=fast, **DSIFT_KW)

    return make


def _check_vlfeat_dsift(peer, ours, case):
    np.testing.assert_array_equal(ours[1], peer)


def _make_opencv_sift(case):
    images = case.data["images"]
    if images.shape[1] * images.shape[2] > 64 * 64:
        return None  # 62,500 keypoints of a 512x512 image take OpenCV about 16 s: the small images only
    if peers.opencv_sift_grid_loop(images[:1], **DSIFT_KW) is None:
        return None
    return lambda: peers.opencv_sift_grid_loop(images, **DSIFT_KW)


def _check_opencv_sift(peer, ours, case):
    assert peer.shape == ours[1].shape  # the same grid; another descriptor


def _dsift_op(fast: bool) -> Operation:
    return Operation(
        name="dsift_fast" if fast else "dsift",
        topic="dsift",
        run=_dsift_run(fast),
        make=image_case,
        main="images",
        dtypes=("uint8", "float32"),
        test_shapes=((3, 17, 20), (1, 23, 18)),
        bench_shapes=((1000, 32, 32), (1, 512, 512)),
        smoke_shape=(4, 16, 16),
        compare=_compare_dsift,
        naive_bench_limit=32 * 32,
        peers=(
            Peer("vlfeat", _make_vlfeat_dsift(fast), _check_vlfeat_dsift),
            Peer("opencv", _make_opencv_sift, _check_opencv_sift),
        ),
    )


DSIFT, DSIFT_FAST = _dsift_op(False), _dsift_op(True)

#: the ladder's PHOW: vl_phow's defaults but for sizes that fit a 32x32 image several times
PHOW_KW = dict(sizes=(2, 4, 6), step=2)


def _phow_run(case, data, impl, n_threads):
    return fastlin.phow_batch(data["images"], impl=impl, n_threads=n_threads, **PHOW_KW)[1:]


def _make_vlfeat_phow(case):
    images = case.data["images"]
    if peers.vlfeat_phow_loop(images[:1], **PHOW_KW) is None:
        return None
    return lambda: peers.vlfeat_phow_loop(images, **PHOW_KW)


PHOW = Operation(
    name="phow",
    topic="dsift",
    run=_phow_run,
    make=image_case,
    main="images",
    dtypes=("uint8", "float32"),
    test_shapes=((3, 21, 24), (1, 26, 19)),
    bench_shapes=((1000, 32, 32), (1, 512, 512)),
    smoke_shape=(4, 20, 20),
    compare=_compare_dsift,
    naive_bench_limit=32 * 32,
    peers=(Peer("vlfeat", _make_vlfeat_phow, _check_vlfeat_dsift),),
)


def _gist_run(case, data, impl, n_threads):
    images = data["images"]
    return fastlin.gist_batch(images, channel_axis=-1 if images.ndim == 4 else None, impl=impl, n_threads=n_threads)


def _make_torchgist(case):
    images = case.data["images"]
    model = peers.torchgist_model(*images.shape[1:3])  # built once, outside the timed call
    if model is None:
        return None
    return lambda: peers.torchgist_loop(images, model)


GIST = Operation(
    name="gist",
    run=_gist_run,
    make=image_case,
    main="images",
    dtypes=("uint8", "float32"),
    test_shapes=((3, 16, 20), (2, 18, 12, 3)),
    bench_shapes=((1000, 32, 32), (1, 256, 256)),
    smoke_shape=(4, 16, 16),
    compare=compare_features(1e-6),
    naive_bench_limit=0,  # the transcription takes 0.1 s per CIFAR image: timed in smoke runs only
    peers=(Peer("torchgist", _make_torchgist, check_allclose(1e-5)),),
)


def _responses_run(bank):
    def run(case, data, impl, n_threads):
        images = data["images"]
        axis = -1 if images.ndim == 4 else None
        return fastlin.filter_responses(images, bank, channel_axis=axis, impl=impl, n_threads=n_threads)

    return run


def _compare_responses(a, b, dtype):
    assert a.shape == b.shape and a.dtype == b.dtype == np.float32
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-5 * max(1.0, float(np.abs(b).max())))


def _make_fftconvolve(bank):
    def make(case):
        images = case.data["images"]
        if images.ndim == 4:
            return None
        return lambda: peers.scipy_fftconvolve_responses(images, fastlin.filter_bank(bank))

    return make


def _responses_op(bank: str) -> Operation:
    return Operation(
        name=f"filter_responses_{bank.lower()}",
        topic="textons",
        run=_responses_run(bank),
        make=image_case,
        main="images",
        dtypes=("uint8", "float32"),
        test_shapes=((2, 10, 12), (1, 7, 9, 3)),
        bench_shapes=((1000, 32, 32),),
        smoke_shape=(3, 16, 16),
        compare=_compare_responses,
        family="descriptors",
        naive_bench_limit=0,  # 2401 multiply-adds a pixel and filter in Python's loops: smoke runs only
        peers=(Peer("scipy", _make_fftconvolve(bank), lambda peer, ours, case: _compare_responses(ours, peer, None)),),
    )


FILTER_RESPONSES_LM, FILTER_RESPONSES_RFS = _responses_op("LM"), _responses_op("RFS")


def _textons_case(shape, dtype, seed):
    case = image_case(shape, dtype, seed)
    rng = np.random.default_rng(seed + 1)
    return Case("textons", shape, dtype, case.data, {"textons": rng.standard_normal((64, 8)).astype(np.float32)})


def _textons_run(case, data, impl, n_threads):
    images = data["images"]
    tf = fastlin.TextonFeatures(n_textons=64, bank="RFS", mr8=True, normalize=True, cells=4, impl=impl,
                                n_threads=n_threads)  # fmt: skip
    tf.textons_, tf.bank_, tf.image_shape_ = case.params["textons"], fastlin.filter_bank("RFS"), images.shape[1:3]
    return tf.transform(images)


def _compare_textons(a, b, dtype):
    # float32 responses from FFTs or from windows: a pixel equidistant to two textons may go either way
    assert a.shape == b.shape and a.dtype == b.dtype
    assert np.abs(a - b).sum() <= 0.01 * np.abs(b).sum()


TEXTONS = Operation(
    name="textons",
    run=_textons_run,
    make=_textons_case,
    main="images",
    dtypes=("uint8", "float32"),
    test_shapes=((2, 12, 13), (1, 9, 8, 3)),
    bench_shapes=((1000, 32, 32),),
    smoke_shape=(3, 16, 16),
    compare=_compare_textons,
    naive_bench_limit=0,
)


def _ssim_run(case, data, impl, n_threads):
    images = data["images"]
    axis = -1 if images.ndim == 4 else None
    return fastlin.self_similarity_batch(images, channel_axis=axis, impl=impl, n_threads=n_threads,
                                         **case.params)[1]  # fmt: skip


def _ssim_case(shape, dtype, seed):
    case = image_case(shape, "uint8", seed)
    return Case("self_similarity", shape, "uint8", case.data)


SELF_SIMILARITY = Operation(
    name="self_similarity",
    run=_ssim_run,
    make=_ssim_case,
    main="images",
    dtypes=("uint8",),
    test_shapes=((2, 21, 24), (1, 17, 19, 3)),
    bench_shapes=((1000, 32, 32), (1, 256, 256)),
    smoke_shape=(3, 24, 24),
    compare=compare_features(1e-6),
    family="descriptors",  # the table's "ssim"
    naive_bench_limit=0,  # a Python loop over every offset of a point's window: smoke runs only
)

OPERATIONS: dict[str, Operation] = {
    op.name: op
    for op in (
        *(_loss_op(kind) for kind in ("svm", "squared_hinge", "softmax", "ovr_squared_hinge")),
        *(HOG, COLOR, KMEANS, BOW, LBP, LBP_HISTOGRAM, KMEANS_FEATURES, KMEANS_FEATURES_SOFT),
        *(DSIFT, DSIFT_FAST, PHOW, GIST),
        *(FILTER_RESPONSES_LM, FILTER_RESPONSES_RFS, TEXTONS, SELF_SIMILARITY),
    )
}
