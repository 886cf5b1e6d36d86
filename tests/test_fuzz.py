"""A property test of the public API: any input gives a documented result or a clear error.

Each call starts from valid arguments drawn at random (shapes, dtypes, memory layouts,
read-only arrays, values from zero to huge) and then, most of the time, replaces one of them
by something wild: another dtype or shape, NaN, inf, 1e300, a string, a negative number, a
bool, None. The call must then return finite results of the documented shape and dtype, or
raise ValueError, TypeError or FloatingPointError; anything else (a crash, another
exception, a NaN result, a changed input) fails. CI runs this file once more under
``NUMBA_BOUNDSCHECK=1``, so an out-of-bounds access in a kernel fails it too.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastlin
from fastlin import optim

ALLOWED = (ValueError, TypeError, FloatingPointError)
DTYPES = ["bool", "int8", "uint8", "int64", "float16", "float32", "float64", "complex128", "object"]
FILLS = ["normal", "zero", "huge", "nan", "inf", "negative", "pixels"]
FUZZ = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def make_array(seed: int, shape: tuple, dtype: str, fill: str, layout: str, writeable: bool) -> np.ndarray:
    """An array of ``shape`` filled as ``fill`` says, in ``dtype``, laid out and flagged as asked."""
    rng = np.random.default_rng(seed)
    base = {
        "normal": lambda: rng.standard_normal(shape),
        "zero": lambda: np.zeros(shape),
        "huge": lambda: rng.standard_normal(shape) * 1e300,
        "nan": lambda: np.where(rng.random(shape) < 0.3, np.nan, rng.standard_normal(shape)),
        "inf": lambda: np.where(rng.random(shape) < 0.3, np.inf, rng.standard_normal(shape)),
        "negative": lambda: -rng.random(shape) * 10,
        "pixels": lambda: rng.integers(0, 256, shape).astype(np.float64),
    }[fill]()
    with np.errstate(all="ignore"):
        arr = base.astype(dtype) if dtype != "object" else base.astype(object)
    if layout == "F":
        arr = np.asfortranarray(arr)
    elif layout == "strided" and arr.ndim >= 1 and arr.shape[-1] > 0:
        big = np.empty(arr.shape[:-1] + (2 * arr.shape[-1],), dtype=arr.dtype)
        big[..., ::2] = arr
        arr = big[..., ::2]
    arr.flags.writeable = writeable
    return arr


def arrays(shape, dtypes=DTYPES, fills=FILLS):
    return st.builds(
        make_array,
        seed=st.integers(0, 2**16),
        shape=st.just(shape) if isinstance(shape, tuple) else shape,
        dtype=st.sampled_from(dtypes),
        fill=st.sampled_from(fills),
        layout=st.sampled_from(["C", "F", "strided"]),
        writeable=st.booleans(),
    )


WILD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.sampled_from([10**15, -(10**12), 2**63]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e300, -1e308, float("nan"), "l2", "no", "", (), (0, 0), (3, -1), [1, 2, 3]]),
    arrays(st.lists(st.integers(0, 5), min_size=0, max_size=4).map(tuple), fills=["normal", "nan", "zero"]),
)


def mutate(data, kwargs: dict, names: list[str]) -> dict:
    """Most of the time, one argument replaced by a wild value."""
    if data.draw(st.integers(0, 3), label="keep") == 0:
        return kwargs
    name = data.draw(st.sampled_from(names), label="which")
    return {**kwargs, name: data.draw(WILD, label=name)}


def snapshot(kwargs: dict) -> dict:
    return {k: v.copy() for k, v in kwargs.items() if isinstance(v, np.ndarray)}


def assert_unchanged(kwargs: dict, before: dict) -> None:
    for k, old in before.items():
        # bytes, not values: NaN compares unequal to itself, and an object array holds pointers
        assert kwargs[k].tobytes() == old.tobytes(), f"{k} was changed by the call"


def call(fn, kwargs):
    """``fn(**kwargs)``: the result, or None after an allowed error; inputs must not change."""
    before = snapshot(kwargs)
    try:
        with np.errstate(all="ignore"):  # only what the call returns or raises is judged
            result = fn(**kwargs)
    except ALLOWED:
        result = None
    assert_unchanged(kwargs, before)
    return result


def assert_finite(*arrays_):
    for a in arrays_:
        assert np.isfinite(np.asarray(a, dtype=np.float64)).all()


@pytest.mark.parametrize("kind", ["svm", "softmax"])
@FUZZ
@given(data=st.data())
def test_losses(kind, data):
    # C of 17 and 33: the GEMM path of the jit tier (float32 from 16 classes, float64 from 32)
    C_values = st.sampled_from([1, 2, 3, 5, 17, 33])
    N, D, C = data.draw(st.tuples(st.integers(1, 6), st.integers(1, 6), C_values), label="shape")
    wdtype = data.draw(st.sampled_from(["float32", "float64"]), label="W dtype")
    kwargs = dict(
        W=data.draw(arrays((D, C), dtypes=[wdtype], fills=["normal", "zero"]), label="W"),
        X=data.draw(arrays((N, D), dtypes=["float32", "float64", "int64", "uint8"], fills=FILLS[:3]), label="X"),
        y=np.random.default_rng(N).integers(0, C, N),
        reg=data.draw(st.sampled_from([0.0, 0.5, 2.5e4]), label="reg"),
        penalty=data.draw(st.sampled_from(["l2", "l1", "elasticnet"]), label="penalty"),
        impl=data.draw(st.sampled_from(["jit", "vectorized", "naive"]), label="impl"),
    )
    kwargs = mutate(data, kwargs, list(kwargs) + ["sample_weight", "delta", "n_threads", "l1_ratio"])
    result = call(getattr(fastlin, f"{kind}_loss"), kwargs)
    if result is not None:
        loss, dW = result
        assert isinstance(loss, float) and np.isfinite(loss)
        assert dW.shape == np.shape(kwargs["W"]) and dW.dtype == np.asarray(kwargs["W"]).dtype
        assert_finite(dW)


@FUZZ
@given(data=st.data())
def test_regularization(data):
    kwargs = dict(
        W=data.draw(arrays(st.tuples(st.integers(1, 4), st.integers(1, 4)), fills=["normal", "huge"]), label="W"),
        reg=data.draw(st.floats(0, 1e3), label="reg"),
        penalty=data.draw(st.sampled_from(["l2", "l1", "elasticnet"]), label="penalty"),
    )
    result = call(fastlin.regularization, mutate(data, kwargs, list(kwargs) + ["l1_ratio"]))
    if result is not None:
        assert np.isfinite(result[0])
        assert_finite(result[1])


@FUZZ
@given(data=st.data())
def test_hog(data):
    shape = data.draw(st.tuples(st.integers(1, 3), st.integers(1, 20), st.integers(1, 20)), label="shape")
    color = data.draw(st.booleans(), label="color")
    kwargs = dict(
        images=data.draw(arrays(shape + ((3,) if color else ())), label="images"),
        orientations=data.draw(st.integers(1, 13), label="orientations"),
        pixels_per_cell=data.draw(st.tuples(st.integers(1, 6), st.integers(1, 6)), label="pixels_per_cell"),
        cells_per_block=data.draw(st.tuples(st.integers(1, 3), st.integers(1, 3)), label="cells_per_block"),
        block_norm=data.draw(st.sampled_from(["L1", "L1-sqrt", "L2", "L2-Hys"]), label="block_norm"),
        transform_sqrt=data.draw(st.booleans(), label="transform_sqrt"),
        channel_axis=-1 if color else None,
        impl=data.draw(st.sampled_from(["jit", "vectorized", "naive"]), label="impl"),
    )
    kwargs = mutate(data, kwargs, list(kwargs) + ["feature_vector", "n_threads"])
    out = call(fastlin.hog_batch, kwargs)
    if out is not None:
        assert out.ndim == 2 and out.shape[0] == shape[0] and out.dtype in (np.float32, np.float64)
        assert_finite(out)


@FUZZ
@given(data=st.data())
def test_color_histogram(data):
    shape = data.draw(st.tuples(st.integers(1, 3), st.integers(1, 9), st.integers(1, 9)), label="shape")
    kwargs = dict(
        images=data.draw(arrays(shape + (3,), fills=["pixels", "zero", "nan", "huge", "negative"]), label="images"),
        nbin=data.draw(st.integers(1, 30), label="nbin"),
        impl=data.draw(st.sampled_from(["jit", "vectorized", "naive"]), label="impl"),
    )
    kwargs = mutate(data, kwargs, list(kwargs) + ["xmin", "xmax", "normalized", "n_threads"])
    out = call(fastlin.color_histogram_hsv_batch, kwargs)
    if out is not None:
        assert out.shape == (shape[0], kwargs["nbin"]) and out.dtype == np.float64
        assert_finite(out)


@FUZZ
@given(data=st.data())
def test_kmeans(data):
    N, D = data.draw(st.tuples(st.integers(1, 30), st.integers(1, 5)), label="shape")
    kwargs = dict(
        X=data.draw(arrays((N, D), fills=["normal", "zero", "huge", "nan"]), label="X"),
        n_clusters=data.draw(st.integers(1, 6), label="n_clusters"),
        max_iter=data.draw(st.integers(1, 5), label="max_iter"),
        random_state=0,
        impl=data.draw(st.sampled_from(["jit", "vectorized", "naive"]), label="impl"),
    )
    kwargs = mutate(data, kwargs, list(kwargs) + ["init", "tol", "n_threads"])
    out = call(fastlin.kmeans, kwargs)
    if out is not None:
        centers, labels, inertia = out
        assert centers.shape == (kwargs["n_clusters"], D) and labels.shape == (N,)
        assert_finite(centers, inertia)
        assert ((labels >= 0) & (labels < kwargs["n_clusters"])).all()


@FUZZ
@given(data=st.data())
def test_classifier_fit_predict(data):
    N, D = data.draw(st.tuples(st.integers(2, 20), st.integers(1, 5)), label="shape")
    model = data.draw(st.sampled_from([fastlin.LinearSVM, fastlin.SoftmaxClassifier]), label="model")
    params = dict(num_iters=5, batch_size=data.draw(st.sampled_from([None, 1, 4]), label="batch"), random_state=0)
    params = mutate(data, params, ["num_iters", "batch_size", "reg", "learning_rate", "momentum", "random_state"])
    kwargs = dict(
        X=data.draw(arrays((N, D), fills=["normal", "zero", "huge", "nan"]), label="X"),
        y=np.arange(N) % 3,
    )
    kwargs = mutate(data, kwargs, ["X", "y", "sample_weight"])

    def fit_predict(X, y, sample_weight=None):
        clf = model(**params).fit(X, y, sample_weight=sample_weight)
        return clf.predict(X), clf.coef_

    out = call(fit_predict, kwargs)
    if out is not None:
        assert out[0].shape == (N,)
        assert_finite(out[1])


@FUZZ
@given(data=st.data())
def test_gradient_checking(data):
    x = data.draw(arrays(st.tuples(st.integers(1, 3), st.integers(1, 3)), fills=["normal", "nan", "huge"]), label="x")
    f = data.draw(st.sampled_from([lambda w: float((w**2).sum()), lambda w: float("nan")]), label="f")
    kwargs = mutate(data, dict(f=f, x=x), ["f", "x", "h"])
    out = call(fastlin.numerical_gradient, kwargs)
    if out is not None:
        assert out.shape == np.shape(kwargs["x"])
        assert_finite(out)
    out = call(fastlin.rel_error, mutate(data, dict(a=x, b=x), ["a", "b"]))
    if out is not None:
        assert isinstance(out, float)


@FUZZ
@given(data=st.data())
def test_sgd(data):
    N, D, C = data.draw(st.tuples(st.integers(1, 10), st.integers(1, 4), st.integers(2, 4)), label="shape")
    X = data.draw(arrays((N, D), dtypes=["float64"], fills=["normal", "zero"]), label="X")
    kwargs = dict(
        kind=data.draw(st.sampled_from(["svm", "softmax"]), label="kind"),
        X=X,
        y=np.arange(N) % C,
        state=optim.new_state(np.zeros((D, C)), np.zeros(C)),
        num_iters=3,
        schedule="constant",
        batch_size=data.draw(st.sampled_from([None, 1, 3]), label="batch"),
    )
    kwargs = mutate(data, kwargs, ["X", "y", "num_iters", "schedule", "batch_size", "reg", "momentum", "learning_rate"])
    out = call(optim.sgd, kwargs)
    if out is not None:
        assert out.shape == (kwargs["num_iters"],)
        assert_finite(out, kwargs["state"].W)


@FUZZ
@given(data=st.data())
def test_local_binary_patterns(data):
    shape = data.draw(st.tuples(st.integers(1, 3), st.integers(1, 12), st.integers(1, 12)), label="shape")
    codes = data.draw(st.booleans(), label="codes")  # lbp_batch (every method) or lbp_histogram
    methods = ["default", "ror", "uniform", "nri_uniform"] + (["var"] if codes else [])
    kwargs = dict(
        images=data.draw(arrays(shape, fills=["pixels", "zero", "nan", "huge", "negative"]), label="images"),
        P=data.draw(st.sampled_from([1, 2, 5, 8, 12, 16, 24, 31]), label="P"),
        R=data.draw(st.sampled_from([0.0, 1e-9, 0.5, 1, 2.5, 7, 999.5, 1000.0, 1000.5, 1e6]), label="R"),
        method=data.draw(st.sampled_from(methods), label="method"),
        impl=data.draw(st.sampled_from(["jit", "vectorized", "naive"]), label="impl"),
    )
    extra = ["n_threads"] if codes else ["cells", "normalize", "n_threads"]
    out = call(fastlin.lbp_batch if codes else fastlin.lbp_histogram, mutate(data, kwargs, list(kwargs) + extra))
    if out is not None:
        assert out.ndim == (3 if codes else 2) and out.shape[0] == shape[0]
        assert not np.isinf(out).any()  # var is NaN where the samples are all equal, never inf
        if kwargs["method"] != "var":
            assert_finite(out)


def _fitted(cls, images, params):
    return cls(**params).fit(images)


ENCODERS = {
    "kmeans_features": (
        fastlin.KMeansFeatures,
        dict(n_centroids=3, patch_size=3, n_patches=200, max_iter=2, random_state=0),
        dict(
            patch_size=st.integers(1, 12),
            stride=st.integers(1, 4),
            contrast_eps=st.sampled_from([None, 1e-30, 10.0, 0.0]),
            pooling_grid=st.sampled_from([(1, 1), (2, 3), (9, 9)]),
            power=st.sampled_from([0.5, 1.0, 2.0]),
            encoding=st.sampled_from(["triangle", "hard"]),
        ),
    ),
    "bow": (
        fastlin.BagOfVisualWords,
        dict(n_words=3, patch_size=4, stride=2, random_state=0),
        dict(
            patch_size=st.integers(1, 12),
            stride=st.integers(1, 4),
            descriptor=st.sampled_from(["patch", "hog", "dsift"]),
            normalize=st.sampled_from(["l1", "l2", None]),
            encoding=st.sampled_from(["hard", "triangle"]),
            pyramid=st.sampled_from([(1,), (1, 2), (2, 4), (1, 99)]),
            power=st.sampled_from([0.5, 1.0, 3.0]),
        ),
    ),
    "textons": (
        fastlin.TextonFeatures,
        dict(n_textons=3, bank="S", cells=2, n_samples=200, max_iter=2, random_state=0),
        dict(
            bank=st.sampled_from(["S", "RFS", "LM", np.zeros((13, 3, 3))]),
            mr8=st.booleans(),
            normalize=st.booleans(),
            cells=st.integers(0, 12),
            power=st.sampled_from([0.5, 1.0, 3.0, 0.0]),
            n_textons=st.integers(-1, 5),
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(ENCODERS))
@FUZZ
@given(data=st.data())
def test_fitted_encoders_with_parameters_changed_after_fit(name, data):
    cls, params, changes = ENCODERS[name]
    size = data.draw(st.integers(6, 10), label="size")
    color = data.draw(st.booleans(), label="color")
    images = np.random.default_rng(size).integers(0, 256, (4, size, size) + ((3,) if color else ())).astype(np.uint8)
    encoder = _fitted(cls, images, params)
    which = data.draw(st.sampled_from(sorted(changes)), label="which")
    encoder.set_params(**{which: data.draw(changes[which], label=which)})
    kwargs = mutate(data, dict(images=images), ["images"])
    out = call(encoder.transform, kwargs)
    if out is not None:
        assert out.ndim == 2 and out.shape[0] == 4 and out.dtype in (np.float32, np.float64)
        assert_finite(out)


@FUZZ
@given(data=st.data())
def test_standardizer(data):
    N, D = data.draw(st.tuples(st.integers(1, 8), st.integers(1, 4)), label="shape")
    fill = ["normal", "zero", "huge", "nan", "inf", "negative"]
    X = data.draw(arrays((N, D), dtypes=["float32", "float64", "int64", "uint8"], fills=fill), label="X")
    extremes = st.sampled_from([3e38, -3e38, 1e-40, 1e308, -1e308, 1e-300])
    if data.draw(st.booleans(), label="extreme column") and X.dtype.kind == "f":
        X = X.copy()
        X.flags.writeable = True
        with np.errstate(over="ignore"):
            X[:, 0] = np.asarray([data.draw(extremes, label="x") for _ in range(N)]).astype(X.dtype)
    params = mutate(data, dict(eps=data.draw(st.sampled_from([0.0, 1e-300, 0.01]), label="eps")), ["eps", "copy"])

    def fit_transform(X):
        from fastlin.preprocessing import Standardizer

        return Standardizer(**params).fit(X).transform(X)

    out = call(fit_transform, mutate(data, dict(X=X), ["X"]))
    if out is not None:
        assert out.shape == (N, D)
        assert_finite(out)


@pytest.mark.parametrize("kind", ["svm", "softmax"])
@settings(FUZZ, max_examples=30)
@given(data=st.data())
def test_dask_losses(kind, data):
    fdask = pytest.importorskip("fastlin.dask")
    da = pytest.importorskip("dask.array")
    N, D, C = data.draw(st.tuples(st.integers(1, 8), st.integers(1, 4), st.integers(1, 4)), label="shape")
    X = data.draw(arrays((N, D), dtypes=["float32", "float64"], fills=["normal", "zero", "huge", "nan"]), label="X")
    y = np.random.default_rng(N).integers(0, C, N)
    if data.draw(st.booleans(), label="bad label"):
        y[data.draw(st.integers(0, N - 1), label="at")] = data.draw(
            st.sampled_from([-1, C, 1000, 10**9, -(2**62)]), label="label"
        )
    kwargs = dict(
        W=np.zeros((D, C)),
        X=da.from_array(X, chunks=(data.draw(st.integers(1, N), label="chunk"), D)),
        y=y,
        reg=data.draw(st.sampled_from([0.0, 0.5]), label="reg"),
    )
    kwargs = mutate(data, kwargs, ["W", "y", "reg", "penalty", "split_every"])
    out = call(getattr(fdask, f"{kind}_loss"), kwargs)
    if out is not None:
        loss, dW = out
        assert np.isfinite(loss) and dW.shape == (D, C)
        assert_finite(dW)


@FUZZ
@given(data=st.data())
def test_dense_sift(data):
    shape = data.draw(st.tuples(st.integers(1, 2), st.integers(6, 20), st.integers(6, 20)), label="shape")
    kwargs = dict(
        images=data.draw(arrays(shape, fills=["pixels", "zero", "nan", "huge", "negative", "normal"]), label="images"),
        step=data.draw(st.integers(1, 4), label="step"),
        size=data.draw(st.integers(1, 5), label="size"),
        fast=data.draw(st.booleans(), label="fast"),
        bounds=data.draw(st.sampled_from([None, (0, 0, 9, 9), (-3, 2, 40, 30), (5, 5, 4, 4)]), label="bounds"),
        impl=data.draw(st.sampled_from(["jit", "vectorized"]), label="impl"),
    )
    out = call(fastlin.dsift_batch, mutate(data, kwargs, list(kwargs) + ["window_size", "n_threads"]))
    if out is not None:
        frames, norms, descriptors = out
        assert descriptors.shape == (shape[0], len(frames), 128) and norms.shape == (shape[0], len(frames))
        assert_finite(frames, norms, descriptors)
        assert (descriptors >= 0).all() and (descriptors <= 1.00001).all()  # VLFeat's approximate sqrt


@FUZZ
@given(data=st.data())
def test_gist(data):
    shape = data.draw(st.tuples(st.integers(1, 2), st.integers(2, 20), st.integers(2, 20)), label="shape")
    kwargs = dict(
        images=data.draw(arrays(shape, fills=["pixels", "zero", "nan", "huge", "negative", "normal"]), label="images"),
        orientations=data.draw(st.sampled_from([(8, 8, 8, 8), (4, 2), (1,), (8,) * 7, ()]), label="orientations"),
        blocks=data.draw(st.integers(1, 6), label="blocks"),
        boundary=data.draw(st.sampled_from([0, 3, 32]), label="boundary"),
        impl=data.draw(st.sampled_from(["jit", "vectorized"]), label="impl"),
    )
    out = call(fastlin.gist_batch, mutate(data, kwargs, list(kwargs) + ["prefilter", "image_size", "n_threads"]))
    if out is not None:
        assert out.shape[0] == shape[0] and out.dtype == np.float32
        assert_finite(out)
        assert (out >= 0).all()


@FUZZ
@given(data=st.data())
def test_phow(data):
    shape = data.draw(st.tuples(st.integers(1, 2), st.integers(4, 24), st.integers(4, 24)), label="shape")
    kwargs = dict(
        images=data.draw(arrays(shape, fills=["pixels", "zero", "nan", "huge", "negative", "normal"]), label="images"),
        sizes=data.draw(st.sampled_from([(1, 2), (2, 4, 6), (4, 6, 8, 10), (3,), ()]), label="sizes"),
        step=data.draw(st.integers(1, 3), label="step"),
        impl=data.draw(st.sampled_from(["jit", "vectorized"]), label="impl"),
    )
    names = list(kwargs) + ["fast", "magnif", "window_size", "contrast_threshold", "n_threads"]
    out = call(fastlin.phow_batch, mutate(data, kwargs, names))
    if out is not None:
        frames, norms, descriptors = out
        assert descriptors.shape == (shape[0], len(frames), 128) and norms.shape == (shape[0], len(frames))
        assert_finite(frames, norms, descriptors)
        assert (descriptors >= 0).all() and (descriptors <= 1.00001).all()


@FUZZ
@given(data=st.data())
def test_filter_responses(data):
    shape = data.draw(st.tuples(st.integers(1, 2), st.integers(1, 12), st.integers(1, 12)), label="shape")
    kwargs = dict(
        images=data.draw(arrays(shape, fills=["pixels", "zero", "nan", "huge", "negative", "normal"]), label="images"),
        bank=data.draw(st.sampled_from(["S", "RFS", "lm", np.ones((2, 3, 3)), np.ones((1, 1, 1))]), label="bank"),
        mr8=data.draw(st.booleans(), label="mr8"),
        normalize=data.draw(st.booleans(), label="normalize"),
        impl=data.draw(st.sampled_from(["jit", "vectorized"]), label="impl"),
    )
    out = call(fastlin.filter_responses, mutate(data, kwargs, list(kwargs) + ["n_threads", "channel_axis"]))
    if out is not None:
        assert out.shape[:3] == shape and out.dtype == np.float32
        assert_finite(out)


@FUZZ
@given(data=st.data())
def test_self_similarity(data):
    shape = data.draw(st.tuples(st.integers(1, 2), st.integers(1, 24), st.integers(1, 24)), label="shape")
    kwargs = dict(
        images=data.draw(arrays(shape, dtypes=["uint8"] * 4 + DTYPES, fills=["pixels", "zero", "nan"]), label="images"),
        step=data.draw(st.integers(1, 4), label="step"),
        small_size=data.draw(st.sampled_from([1, 3, 5]), label="small_size"),
        large_size=data.draw(st.sampled_from([3, 7, 15, 41]), label="large_size"),
        angles=data.draw(st.sampled_from([1, 4, 8, 20]), label="angles"),
        impl=data.draw(st.sampled_from(["jit", "vectorized"]), label="impl"),
    )
    names = list(kwargs) + ["start_bucket", "distance_buckets", "n_threads", "channel_axis"]
    out = call(fastlin.self_similarity_batch, mutate(data, kwargs, names))
    if out is not None:
        centres, desc = out
        assert desc.shape[:2] == (shape[0], len(centres)) and desc.dtype == np.float32
        assert_finite(centres, desc)
        assert (desc >= 0).all() and (desc <= 1).all()


@FUZZ
@given(data=st.data())
def test_texton_features(data):
    shape = data.draw(st.tuples(st.integers(1, 3), st.integers(2, 10), st.integers(2, 10)), label="shape")
    kwargs = dict(
        n_textons=data.draw(st.integers(1, 6), label="n_textons"),
        bank=data.draw(st.sampled_from(["S", "RFS"]), label="bank"),
        mr8=data.draw(st.booleans(), label="mr8"),
        cells=data.draw(st.integers(1, 3), label="cells"),
        n_samples=data.draw(st.sampled_from([1, 50, 1000]), label="n_samples"),
        random_state=0,
        max_iter=5,
    )
    images = data.draw(arrays(shape, fills=["pixels", "zero", "nan", "huge", "normal"]), label="images")
    kwargs = mutate(data, kwargs, list(kwargs) + ["normalize", "power", "impl"])
    tf = call(lambda **kw: fastlin.TextonFeatures(**kw).fit(images), kwargs)
    if tf is not None:
        out = tf.transform(images)
        assert out.shape == (shape[0], tf.cells**2 * tf.n_textons) and out.dtype == np.float32
        assert_finite(out)
