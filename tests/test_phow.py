"""PHOW and its smoothing: every tier equal to VLFeat 0.9.21 (vl_phow's steps over MATLAB's
vl_imsmooth and vl_dsift), bit for bit; against the library where it is installed and against
tests/data/phow_vlfeat.npz (made by tests/data/make_dsift_fixture.py) everywhere."""

from pathlib import Path

import numpy as np
import pytest

import fastlin
from fastlin._spec import phow_smoothing_kernel
from fastlin._tiers import TIERS, get
from tests import vlfeat
from tests.data.make_dsift_fixture import PHOW_CASES

FIXTURE = Path(__file__).parent / "data" / "phow_vlfeat.npz"
needs_vlfeat = pytest.mark.skipif(vlfeat.available() is not None, reason=str(vlfeat.available()))


def assert_phow_equal(image, kw, impl, frames, descriptors):
    ours_frames, ours = fastlin.phow(image, impl=impl, **kw)
    where = f"{impl} {kw} image {image.shape}"
    assert ours_frames.shape == frames.shape, where
    np.testing.assert_array_equal(ours_frames[:, :2] + 1, frames[:, :2], err_msg=where)
    np.testing.assert_array_equal(ours_frames[:, 2].astype(np.float32), frames[:, 2].astype(np.float32), err_msg=where)
    np.testing.assert_array_equal(ours_frames[:, 3], frames[:, 3], err_msg=where)
    np.testing.assert_array_equal(ours, descriptors, err_msg=where)  # bit for bit


def _kw(sizes, step, fast, magnif, window, threshold):
    return dict(sizes=sizes, step=step, fast=fast, magnif=magnif, window_size=window, contrast_threshold=threshold)


@pytest.mark.parametrize("impl", TIERS)
def test_every_tier_equals_the_checked_in_vlfeat_phow(impl):
    data = np.load(FIXTURE)
    zeroed = 0
    for k, (name, *params) in enumerate(PHOW_CASES):
        descriptors = data[f"case{k}_descriptors"]
        assert_phow_equal(data[f"image_{name}"], _kw(*params), impl, data[f"case{k}_frames"], descriptors)
        zeroed += int((descriptors.sum(axis=1) == 0).sum())
    assert zeroed > 0  # the contrast threshold is exercised


@needs_vlfeat
@pytest.mark.parametrize("impl", ["jit", "vectorized"])
def test_random_images_and_photographs_equal_vlfeat(impl):
    from skimage import data

    rng = np.random.default_rng(3)
    images = [data.camera()[100:164, 50:110].astype(np.float32) / 255, data.coins()[:48, :52].astype(np.float32) / 255]
    images += [rng.random((int(rng.integers(20, 45)), int(rng.integers(20, 45)))).astype(np.float32) for _ in range(4)]
    settings = [
        {},
        _kw((2, 4), 1, False, 3.0, 2.0, 0.0),
        _kw((3, 5, 7), 3, True, 6.0, 1.5, 0.01),
        _kw((1,), 1, True, 6.0, 1.5, 0.005),
    ]
    for image in images:
        for kw in settings:
            frames, descriptors = vlfeat.matlab_phow(image, **kw)
            assert_phow_equal(image, kw, impl, frames, descriptors)


@needs_vlfeat
def test_the_smoothing_equals_vl_imsmooth_in_every_tier():
    rng = np.random.default_rng(4)
    for shape, sigma in [((40, 33), 1.0), ((17, 23), 10 / 6), ((9, 30), 4 / 6), ((5, 5), 3.0), ((1, 12), 0.5)]:
        image = rng.random(shape).astype(np.float32)
        expected = vlfeat.matlab_imsmooth(image, sigma)
        for impl in TIERS:
            ours = get("dsift", "smooth_batch", impl)(image[None], phow_smoothing_kernel(sigma))[0]
            np.testing.assert_array_equal(ours, expected, err_msg=f"{impl} {shape} sigma={sigma}")


def test_the_batch_is_image_by_image():
    images = np.random.default_rng(5).random((3, 30, 34)).astype(np.float32)
    frames, norms, descriptors = fastlin.phow_batch(images, sizes=(2, 4))
    for i, image in enumerate(images):
        f, d = fastlin.phow(image, sizes=(2, 4))
        np.testing.assert_array_equal(f[:, [0, 1, 3]], frames)
        np.testing.assert_array_equal(f[:, 2].astype(np.float32), norms[i])
        np.testing.assert_array_equal(d, descriptors[i])


def test_sizes_too_large_for_the_image_give_no_frames_as_in_vlfeat():
    image = np.random.default_rng(6).random((20, 20)).astype(np.float32)
    frames, _ = fastlin.phow(image, sizes=(2, 4, 8))  # a frame of bin size 8 spans 25 pixels
    assert set(frames[:, 3]) == {2.0, 4.0}


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: fastlin.phow(np.zeros((9, 9))), ValueError, "no frame fits.*sizes=\\(4, 6, 8, 10\\)"),
        (lambda: fastlin.phow(np.zeros((40, 40)), sizes=()), TypeError, "sizes must be a non-empty sequence"),
        (lambda: fastlin.phow(np.zeros((40, 40)), sizes=(4, 0)), ValueError, r"sizes\[1\] must be >= 1"),
        (lambda: fastlin.phow(np.zeros((40, 40)), step=0), ValueError, "step must be >= 1"),
        (lambda: fastlin.phow(np.zeros((40, 40)), magnif=0), ValueError, "magnif must be > 0"),
        (
            lambda: fastlin.phow(np.zeros((40, 40)), contrast_threshold=-1),
            ValueError,
            "contrast_threshold must be >= 0",
        ),
        (lambda: fastlin.phow(np.zeros((40, 40, 3))), ValueError, "gray pixels"),
        (lambda: fastlin.phow(np.full((40, 40), np.nan)), ValueError, "image contains NaN"),
        (lambda: fastlin.phow_batch(np.zeros((40, 40))), ValueError, "a batch"),
    ],
)
def test_bad_input_names_the_argument(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_phow_in_the_descriptor_table_and_a_bag_of_words():
    images = (np.random.default_rng(7).random((6, 32, 32)) * 255).astype(np.uint8)
    expected = fastlin.phow_batch(images)[2].reshape(6, -1)
    np.testing.assert_array_equal(fastlin.extract_features(images, ["phow"]), expected)
    bow = fastlin.BagOfVisualWords(descriptor="phow", n_words=8, patch_size=4, stride=2, normalize=None, random_state=0)
    codes = bow.fit(images).transform(images)
    assert codes.shape == (6, 8) and np.isfinite(codes).all()
    np.testing.assert_allclose(codes.sum(axis=1), len(fastlin.phow_batch(images)[0]))  # a word per frame
