"""The feature ladder: HOG and the hue histogram, fastlin's tiers against the peers' loops."""

import numpy as np
import pytest
from skimage import data
from skimage.feature import hog as sk_hog

import fastlin
from bench import peers

HOG_KW = dict(orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2))
rng = np.random.default_rng(0)
HOG_CASES = {
    "1000x32x32": rng.integers(0, 256, (1000, 32, 32)).astype(np.uint8),
    "1000x32x32x3": rng.integers(0, 256, (1000, 32, 32, 3)).astype(np.uint8),
    "128x64": data.camera()[200:328, 200:264][None].copy(),
    "512x512": data.camera()[None].copy(),
}
COLOR_IMAGES = rng.integers(0, 256, (1000, 32, 32, 3)).astype(np.uint8)


def hog_runner(who, images):
    color = images.ndim == 4
    axis = -1 if color else None
    if who in ("naive", "vectorized", "jit"):
        if images.shape[0] == 1:
            return lambda: fastlin.hog(images[0], impl=who, channel_axis=axis, **HOG_KW)
        return lambda: fastlin.hog_batch(images, impl=who, channel_axis=axis, **HOG_KW)
    if who == "skimage":
        return lambda: [sk_hog(im, channel_axis=axis, **HOG_KW) for im in images]
    if who == "opencv":
        if peers.cv2 is None:
            pytest.skip("OpenCV is not installed")
        return lambda: peers.opencv_hog_loop(images, **{k: HOG_KW[k] for k in ("pixels_per_cell", "cells_per_block")})
    raise AssertionError(who)


@pytest.mark.parametrize("case", list(HOG_CASES))
@pytest.mark.parametrize("who", ["naive", "vectorized", "jit", "skimage", "opencv"])
def test_hog(benchmark, who, case):
    images = HOG_CASES[case]
    if who == "naive" and images.shape[0] > 1:
        pytest.skip("the naive tier runs on the single small image only")
    if who == "naive" and images.size > 10_000:
        pytest.skip("the naive tier runs on the small image only")
    run = hog_runner(who, images)
    run()  # warm-up (compilation)
    benchmark.group = f"hog|{case}|uint8"
    benchmark(run)


@pytest.mark.parametrize("who", ["vectorized", "jit", "cs231n", "opencv"])
def test_color_histogram(benchmark, who):
    images = COLOR_IMAGES
    if who in ("vectorized", "jit"):
        run = lambda: fastlin.color_histogram_hsv_batch(images, impl=who)  # noqa: E731
    elif who == "cs231n":
        run = lambda: [peers.cs231n_color_histogram_hsv(im) for im in images]  # noqa: E731
    else:
        if peers.cv2 is None:
            pytest.skip("OpenCV is not installed")
        run = lambda: peers.opencv_hue_histogram_loop(images)  # noqa: E731
    run()
    benchmark.group = "color_hist|1000x32x32x3|uint8"
    benchmark(run)
