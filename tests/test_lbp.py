"""Local binary patterns against ``skimage.feature.local_binary_pattern``, in every tier."""

import functools
import warnings

import numpy as np
import pytest
from skimage import data
from skimage.feature import local_binary_pattern as sk_lbp

import fastlin
from fastlin import cli

METHODS = ("default", "ror", "uniform", "nri_uniform", "var")
TIERS = ("naive", "vectorized", "jit")
rng = np.random.default_rng(0)
IMAGES = {
    "random-uint8": rng.integers(0, 256, (14, 11)).astype(np.uint8),
    "camera-uint8": data.camera()[200:240, 150:183],
    "coffee-gray": np.rint(data.coffee()[100:130, 200:236] @ [0.2125, 0.7154, 0.0721]).astype(np.uint8),
    "float-ties": (rng.random((9, 10)) * 3).round(1),
    "float": rng.random((12, 13)),
    "flat": np.full((6, 7), 5, np.uint8),
}


def reference(image, P, R, method):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # scikit-image's caution about float images
        return sk_lbp(image, P, R, method)


@pytest.mark.parametrize("name", list(IMAGES))
@pytest.mark.parametrize("P, R", [(8, 1), (4, 1), (8, 2.5), (12, 3), (16, 2), (3, 1.5), (24, 3), (8, 0.3)])
def test_every_method_equals_skimage(name, P, R):
    image = IMAGES[name]
    batch = np.stack([image, image[::-1]])
    for method in METHODS:
        ref = reference(image, P, R, method)
        out = fastlin.local_binary_pattern(image, P, R, method)
        assert out.dtype == np.float64 and out.shape == image.shape
        np.testing.assert_allclose(out, ref, rtol=1e-10, atol=1e-10, equal_nan=True, err_msg=method)
        for impl in TIERS if P <= 12 else ("vectorized", "jit"):
            both = fastlin.lbp_batch(batch, P, R, method, impl=impl)
            np.testing.assert_allclose(both[0], ref, rtol=1e-10, atol=1e-10, equal_nan=True, err_msg=impl)
            np.testing.assert_allclose(
                both[1], reference(image[::-1], P, R, method), rtol=1e-10, atol=1e-10, equal_nan=True, err_msg=impl
            )


def test_full_size_photograph_and_threads():
    image = data.camera()
    for method in ("default", "uniform", "var"):
        ref = reference(image, 8, 1, method)
        np.testing.assert_allclose(fastlin.local_binary_pattern(image, 8, 1, method), ref, equal_nan=True)
        one = fastlin.lbp_batch(image[None], 8, 1, method, n_threads=1)
        np.testing.assert_array_equal(one, fastlin.lbp_batch(image[None], 8, 1, method))


@pytest.mark.parametrize("method, n_bins", [("uniform", 10), ("nri_uniform", 59), ("default", 256), ("ror", 256)])
def test_histogram_counts_the_codes_of_each_cell(method, n_bins):
    images = rng.integers(0, 256, (5, 21, 18)).astype(np.uint8)
    cells = (3, 2)
    hist = fastlin.lbp_histogram(images, 8, 1, method, cells=cells, normalize=False)
    assert hist.shape == (5, cells[0] * cells[1] * n_bins)
    codes = fastlin.lbp_batch(images, 8, 1, method).astype(int)
    for n in range(5):
        blocks = hist[n].reshape(cells[0], cells[1], n_bins)
        for i in range(cells[0]):
            for j in range(cells[1]):
                cell = codes[n, i * 21 // 3 : (i + 1) * 21 // 3, j * 18 // 2 : (j + 1) * 18 // 2]
                np.testing.assert_array_equal(blocks[i, j], np.bincount(cell.ravel(), minlength=n_bins))
    for impl in TIERS:
        np.testing.assert_array_equal(
            fastlin.lbp_histogram(images, 8, 1, method, cells=cells, normalize=False, impl=impl), hist
        )
    normalized = fastlin.lbp_histogram(images, 8, 1, method, cells=cells)
    np.testing.assert_allclose(normalized.reshape(5, -1, n_bins).sum(axis=2), 1.0)
    np.testing.assert_array_equal(fastlin.lbp_histogram(images[0], 8, 1, method, cells=cells), normalized[0])


def test_histogram_is_a_batch_feature_of_extract_features():
    images = rng.integers(0, 256, (6, 16, 16)).astype(np.uint8)
    fn = functools.partial(fastlin.lbp_histogram, cells=(2, 2))
    loop = np.stack([fn(im) for im in images])
    np.testing.assert_allclose(fastlin.extract_features(images, [fastlin.lbp_histogram]), fastlin.lbp_histogram(images))
    np.testing.assert_allclose(fastlin.extract_features(images, [fn]), loop)


def test_cli_trains_on_lbp_features(capsys):
    assert cli.main(["train", "--features", "hog+lbp", "--iters", "200"]) == 0
    assert "hog+lbp features" in capsys.readouterr().out


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (
            lambda: fastlin.local_binary_pattern(np.zeros((4, 4, 3)), 8, 1),
            ValueError,
            "image must be an image \\(H, W\\) of gray pixels",
        ),
        (lambda: fastlin.local_binary_pattern(np.zeros((4, 4)), 0, 1), ValueError, "P must be >= 1"),
        (lambda: fastlin.local_binary_pattern(np.zeros((4, 4)), 40, 1), ValueError, "P must be <= 31"),
        (lambda: fastlin.local_binary_pattern(np.zeros((4, 4)), 8, -1), ValueError, "R must be >= 0"),
        (lambda: fastlin.local_binary_pattern(np.zeros((4, 4)), 8, 1, "circle"), ValueError, "method must be"),
        (lambda: fastlin.local_binary_pattern(np.full((4, 4), np.nan), 8, 1), ValueError, "NaN"),
        (lambda: fastlin.lbp_histogram(np.zeros((2, 4, 4)), method="var"), ValueError, "real values"),
        (lambda: fastlin.lbp_histogram(np.zeros((2, 4, 4)), cells=(5, 1)), ValueError, "cells"),
        (lambda: fastlin.lbp_histogram(np.zeros((2, 4, 4)), 20, 1, "default"), ValueError, "P must be <= 16"),
        (lambda: fastlin.lbp_histogram(np.zeros((2, 4, 4)), normalize="yes"), TypeError, "True or False"),
    ],
)
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize("impl", ["jit", "vectorized", "naive"])
def test_float_images_warn_as_scikit_image_does(impl):
    image = np.random.default_rng(0).random((6, 7))
    with pytest.warns(UserWarning, match="^Applying `local_binary_pattern` to floating-point images may give"):
        fastlin.lbp_batch(image[None], 8, 1, impl=impl)
    with pytest.warns(UserWarning, match="^Applying `local_binary_pattern` to floating-point images"):
        fastlin.local_binary_pattern(image, 8, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fastlin.local_binary_pattern((image * 255).astype(np.uint8), 8, 1)  # integers: no warning
