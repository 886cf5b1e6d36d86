"""HOG against scikit-image and the colour histogram against CS231n's definition, in every tier."""

import functools

import numpy as np
import pytest
from skimage import data
from skimage.feature import hog as sk_hog

import fastlin
from tests.peers import cs231n_color_histogram_hsv

IMPLS = ("naive", "vectorized", "jit")
#: HOG agreement with scikit-image: the naive and jit tiers round as it does (float32 cell
#: sums); the vectorized tier sums cells in float64, an ulp of float32 apart
HOG_ATOL = {"naive": 1e-12, "vectorized": 1e-6, "jit": 1e-12}
NORMS = ("L1", "L1-sqrt", "L2", "L2-Hys")
rng = np.random.default_rng(0)


def gray(h, w, dtype=np.uint8, seed=0):
    r = np.random.default_rng(seed)
    if dtype == np.uint8:
        return r.integers(0, 256, (h, w)).astype(np.uint8)
    return (r.random((h, w)) * 255).astype(dtype)


def edge_cases():
    """Images whose gradients sit exactly on bin edges: 0, 45, 90, 135 degrees."""
    ramp = np.tile(np.arange(24, dtype=np.uint8) * 7, (24, 1))
    diag = (np.add.outer(np.arange(24), np.arange(24)) * 5).astype(np.uint8)
    anti = (np.subtract.outer(np.arange(24), np.arange(24)) * 5 + 128).astype(np.uint8)
    return [
        ("ramp", ramp),
        ("ramp.T", ramp.T.copy()),
        ("diag", diag),
        ("anti", anti),
        ("flat", np.full((24, 24), 9, np.uint8)),
    ]


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("transform_sqrt", [False, True])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
def test_hog_matches_skimage(norm, transform_sqrt, dtype):
    image = gray(37, 29, dtype)  # 29 columns: the last 5 are past the last whole cell
    kw = dict(pixels_per_cell=(8, 8), cells_per_block=(2, 2), block_norm=norm, transform_sqrt=transform_sqrt)
    ref = sk_hog(image, **kw)
    for impl in IMPLS:
        out = fastlin.hog(image, impl=impl, **kw)
        assert out.dtype == ref.dtype and out.shape == ref.shape, impl
        atol = 1e-6 if dtype == np.float32 else HOG_ATOL[impl]  # float32 output: its own precision
        np.testing.assert_allclose(out, ref, rtol=0, atol=atol)


@pytest.mark.parametrize("orientations", [4, 8, 9, 12])
@pytest.mark.parametrize("name, image", edge_cases(), ids=lambda v: v if isinstance(v, str) else "")
def test_hog_gradients_on_bin_edges(orientations, name, image):
    kw = dict(orientations=orientations, pixels_per_cell=(6, 6), cells_per_block=(2, 2))
    ref = sk_hog(image, **kw)
    for impl in IMPLS:
        np.testing.assert_allclose(fastlin.hog(image, impl=impl, **kw), ref, rtol=0, atol=HOG_ATOL[impl])


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
def test_hog_multichannel(dtype):
    image = data.astronaut()[100:140, 150:186].astype(dtype)
    for axis in (-1, 2):
        ref = sk_hog(image, pixels_per_cell=(8, 8), cells_per_block=(2, 2), channel_axis=axis)
        for impl in IMPLS:
            out = fastlin.hog(image, pixels_per_cell=(8, 8), cells_per_block=(2, 2), channel_axis=axis, impl=impl)
            np.testing.assert_allclose(out, ref, rtol=0, atol=1e-5)
    first = np.moveaxis(image, -1, 0).copy()
    np.testing.assert_allclose(
        fastlin.hog(first, pixels_per_cell=(8, 8), cells_per_block=(2, 2), channel_axis=0),
        sk_hog(first, pixels_per_cell=(8, 8), cells_per_block=(2, 2), channel_axis=0),
        atol=1e-5,
    )


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"orientations": 7, "pixels_per_cell": (7, 5), "cells_per_block": (1, 2)},
        {"orientations": 1, "pixels_per_cell": (4, 4), "cells_per_block": (3, 1)},
        {"pixels_per_cell": (16, 16), "cells_per_block": (2, 2), "block_norm": "L1"},
    ],
    ids=str,
)
def test_hog_parameters_and_large_image(kw):
    image = data.camera()[:128, :64]
    ref = sk_hog(image, **kw)
    np.testing.assert_allclose(fastlin.hog(image, **kw), ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(fastlin.hog(image, impl="vectorized", **kw), ref, rtol=0, atol=1e-6)
    blocks = fastlin.hog(image, feature_vector=False, **kw)
    assert blocks.shape == sk_hog(image, feature_vector=False, **kw).shape


def test_hog_512_camera():
    image = data.camera()
    np.testing.assert_allclose(fastlin.hog(image), sk_hog(image), rtol=0, atol=1e-12)


def test_hog_visualize():
    image = data.camera()[:64, :48]
    feats, picture = fastlin.hog(image, visualize=True)
    ref_feats, ref_picture = sk_hog(image, visualize=True)
    np.testing.assert_allclose(feats, ref_feats, atol=1e-12)
    assert picture.shape == ref_picture.shape
    np.testing.assert_allclose(picture, ref_picture, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("channels", [None, 3])
def test_hog_batch_equals_per_image(channels):
    shape = (6, 32, 32) if channels is None else (6, 32, 32, 3)
    images = rng.integers(0, 256, shape).astype(np.uint8)
    axis = None if channels is None else -1
    kw = dict(pixels_per_cell=(8, 8), cells_per_block=(2, 2), channel_axis=axis)
    per_image = np.stack([sk_hog(im, **kw) for im in images])
    for impl in IMPLS:
        np.testing.assert_allclose(fastlin.hog_batch(images, impl=impl, **kw), per_image, rtol=0, atol=HOG_ATOL[impl])
    one = fastlin.hog_batch(images, n_threads=1, **kw)
    two = fastlin.hog_batch(images, n_threads=2, **kw)
    np.testing.assert_array_equal(one, two)
    blocks = fastlin.hog_batch(images, feature_vector=False, **kw)
    assert blocks.shape == (6, 3, 3, 2, 2, 9)


def cs231n_case(dtype, seed=0):
    r = np.random.default_rng(seed)
    if dtype == np.uint8:
        return r.integers(0, 256, (5, 9, 7, 3)).astype(np.uint8)
    return (r.random((5, 9, 7, 3)) * 255).astype(dtype)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
@pytest.mark.parametrize("kw", [{}, {"nbin": 7, "normalized": False}, {"nbin": 5, "xmin": 40}, {"nbin": 256}], ids=str)
def test_color_histogram_matches_cs231n(dtype, kw):
    images = cs231n_case(dtype)
    ref = np.stack([cs231n_color_histogram_hsv(im, **kw) for im in images])
    for impl in IMPLS:
        single = np.stack([fastlin.color_histogram_hsv(im, impl=impl, **kw) for im in images])
        batch = fastlin.color_histogram_hsv_batch(images, impl=impl, **kw)
        np.testing.assert_array_equal(single, ref)
        np.testing.assert_array_equal(batch, ref)


def test_color_histogram_ties_grays_and_unit_range():
    # ties between channels (matplotlib: blue wins, then green), gray pixels, xmax = 1
    values = np.array([0, 85, 170, 255], dtype=np.uint8)
    grid = np.stack(np.meshgrid(values, values, values, indexing="ij"), axis=-1).reshape(8, 8, 3)
    for nbin in (10, 6, 12):  # hues at multiples of 42.5 fall exactly on some of these edges
        ref = cs231n_color_histogram_hsv(grid, nbin=nbin)
        for impl in IMPLS:
            np.testing.assert_array_equal(fastlin.color_histogram_hsv(grid, nbin=nbin, impl=impl), ref)
    unit = grid / 255.0
    np.testing.assert_array_equal(fastlin.color_histogram_hsv(unit, xmax=1), cs231n_color_histogram_hsv(unit, xmax=1))
    assert fastlin.color_histogram_hsv(grid).sum() == pytest.approx(1.0)


def test_color_histogram_large_image_and_threads():
    image = data.astronaut()
    ref = cs231n_color_histogram_hsv(image, nbin=12)
    np.testing.assert_array_equal(fastlin.color_histogram_hsv(image, nbin=12), ref)
    images = np.stack([image[:64, :64], image[64:128, :64], image[:64, 64:128]])
    np.testing.assert_array_equal(
        fastlin.color_histogram_hsv_batch(images, n_threads=1), fastlin.color_histogram_hsv_batch(images, n_threads=2)
    )


def test_color_histogram_no_pixel_in_range_gives_zeros():
    gray_image = np.full((4, 4, 3), 100, np.uint8)  # hue 0, below xmin
    for impl in IMPLS:
        assert not fastlin.color_histogram_hsv(gray_image, xmin=10, impl=impl).any()


def test_extract_features_uses_batches_and_matches_the_loop():
    images = rng.integers(0, 256, (7, 32, 32, 3)).astype(np.uint8)
    hog_fn = functools.partial(fastlin.hog, pixels_per_cell=(8, 8), cells_per_block=(2, 2), channel_axis=-1)
    fns = [hog_fn, functools.partial(fastlin.color_histogram_hsv, nbin=6)]
    fast = fastlin.extract_features(images, fns)
    looped = fastlin.extract_features(images, [lambda im, f=f: f(im) for f in fns])  # no batch form
    expected = np.stack([np.concatenate([f(im) for f in fns]) for im in images])
    np.testing.assert_allclose(fast, expected, atol=1e-12)
    np.testing.assert_allclose(looped, expected, atol=1e-12)
    assert fast.dtype == np.float64 and fast.shape == (7, expected.shape[1])


def test_extract_features_grayscale_squeezes_like_cs231n(capsys):
    images = rng.integers(0, 256, (3, 24, 24, 1)).astype(np.uint8)
    out = fastlin.extract_features(images, [fastlin.hog], progress=True)
    np.testing.assert_allclose(out, np.stack([sk_hog(im[..., 0]) for im in images]), atol=1e-12)
    assert "done" in capsys.readouterr().err


BAD_HOG = [
    ({"image": np.zeros(10)}, ValueError, "must be an image"),
    ({"image": np.zeros((32, 32, 3))}, ValueError, "channel_axis set"),
    ({"image": np.zeros((8, 8))}, ValueError, "smaller than one block"),
    ({"pixels_per_cell": (0, 8)}, ValueError, "pixels_per_cell must be >= 1"),
    ({"pixels_per_cell": 8}, TypeError, "pixels_per_cell must be a pair"),
    ({"cells_per_block": (2, -1)}, ValueError, "cells_per_block must be >= 1"),
    ({"orientations": 0}, ValueError, "orientations must be >= 1"),
    ({"block_norm": "L3"}, ValueError, "block_norm must be one of"),
    ({"image": np.full((32, 32), np.nan)}, ValueError, "contains NaN or inf"),
    ({"image": -np.ones((32, 32)), "transform_sqrt": True}, ValueError, "non-negative"),
    ({"image": np.zeros((32, 32), complex)}, TypeError, "real numbers"),
    ({"impl": "gpu"}, ValueError, "impl must be one of"),
    ({"image": np.zeros((32, 32, 3)), "channel_axis": 3}, ValueError, "not a channel axis"),
]


@pytest.mark.parametrize("kw, exc, match", BAD_HOG, ids=[m for _, _, m in BAD_HOG])
def test_hog_bad_input(kw, exc, match):
    kw = {"image": np.zeros((32, 32)), "cells_per_block": (2, 2), **kw}
    with pytest.raises(exc, match=match):
        fastlin.hog(**kw)


def test_hog_batch_bad_input():
    with pytest.raises(ValueError, match="must be a batch"):
        fastlin.hog_batch(np.zeros((32, 32)))
    with pytest.raises(ValueError, match="channel_axis set"):
        fastlin.hog_batch(np.zeros((2, 32, 32, 3)))
    with pytest.raises(ValueError, match="not a channel axis"):
        fastlin.hog_batch(np.zeros((2, 32, 32, 3)), channel_axis=0)
    with pytest.raises(ValueError, match="n_threads"):
        fastlin.hog_batch(np.zeros((2, 32, 32)), cells_per_block=(2, 2), n_threads=0)


def test_hog_batch_options_are_keyword_only():
    # hog's sixth positional parameter is `visualize`; in a batch it would land on `transform_sqrt`
    images = np.random.default_rng(0).random((2, 32, 32))
    with pytest.raises(TypeError, match="positional"):
        fastlin.hog_batch(images, 9, (8, 8), (2, 2), "L2-Hys", True)
    per_image = np.stack([fastlin.hog(im, 9, (8, 8), (2, 2)) for im in images])
    batch = fastlin.hog_batch(images, orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2))
    np.testing.assert_array_equal(batch, per_image)


BAD_HIST = [
    ({"im": np.zeros((8, 8))}, ValueError, "RGB with 3 channels"),
    ({"im": np.zeros((8, 8, 4))}, ValueError, "RGB with 3 channels"),
    ({"nbin": 0}, ValueError, "nbin must be >= 1"),
    ({"xmin": 255}, ValueError, "xmin must be < xmax"),
    ({"xmax": 0}, ValueError, "xmax must be > 0"),
    ({"im": np.full((8, 8, 3), 300.0)}, ValueError, r"values must be in \[0, xmax"),
    ({"im": np.full((8, 8, 3), np.inf)}, ValueError, "contains NaN or inf"),
    ({"im": np.zeros((0, 8, 3))}, ValueError, "is empty"),
]


@pytest.mark.parametrize("kw, exc, match", BAD_HIST, ids=[m for _, _, m in BAD_HIST])
def test_color_histogram_bad_input(kw, exc, match):
    kw = {"im": np.zeros((8, 8, 3), np.uint8), **kw}
    with pytest.raises(exc, match=match):
        fastlin.color_histogram_hsv(**kw)


def test_extract_features_bad_input():
    with pytest.raises(TypeError, match="callables"):
        fastlin.extract_features(np.zeros((2, 8, 8)), [])
    with pytest.raises(ValueError, match="non-empty batch"):
        fastlin.extract_features(np.zeros((0, 8, 8)), [np.ravel])
    with pytest.raises(ValueError, match="1-D vector"):
        fastlin.extract_features(np.zeros((2, 8, 8)), [lambda im: im])
