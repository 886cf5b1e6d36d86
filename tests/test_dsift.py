"""Dense SIFT: every tier equal to VLFeat 0.9.21 (MATLAB's vl_dsift), bit for bit.

Against the library itself where it is installed (tests/vlfeat.py builds a small helper),
and against tests/data/dsift_vlfeat.npz (made by tests/data/make_dsift_fixture.py) everywhere.
"""

from pathlib import Path

import numpy as np
import pytest

import fastlin
from tests import vlfeat
from tests.data.make_dsift_fixture import CASES

TIERS = ("jit", "vectorized", "naive")
FIXTURE = Path(__file__).parent / "data" / "dsift_vlfeat.npz"
needs_vlfeat = pytest.mark.skipif(vlfeat.available() is not None, reason=str(vlfeat.available()))


def assert_vlfeat_equal(image, step, size, fast, window, bounds, impl, frames, descriptors):
    ours_frames, ours = fastlin.dsift(image, step=step, size=size, fast=fast, window_size=window, bounds=bounds,
                                      impl=impl)  # fmt: skip
    where = f"{impl} step={step} size={size} fast={fast} window={window} bounds={bounds} image {image.shape}"
    np.testing.assert_array_equal(ours_frames[:, :2] + 1, frames[:, :2], err_msg=where)
    np.testing.assert_array_equal(ours_frames[:, 2].astype(np.float32), frames[:, 2].astype(np.float32), err_msg=where)
    np.testing.assert_array_equal(ours, descriptors, err_msg=where)  # bit for bit
    # MATLAB's default output: uint8(min(512 d, 255)), truncated
    to_uint8 = lambda d: np.minimum(np.float32(512) * d, np.float32(255)).astype(np.uint8)  # noqa: E731
    np.testing.assert_array_equal(to_uint8(ours), to_uint8(descriptors), err_msg=where)


@pytest.mark.parametrize("impl", TIERS)
def test_every_tier_equals_the_checked_in_vlfeat_output(impl):
    data = np.load(FIXTURE)
    for k, (name, step, size, fast, window, bounds) in enumerate(CASES):
        assert_vlfeat_equal(
            data[f"image_{name}"], step, size, fast, window, bounds, impl,
            data[f"case{k}_frames"], data[f"case{k}_descriptors"],
        )  # fmt: skip


def _random_cases(n, seed):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        size = int(rng.integers(2, 11))
        span = 3 * size + 1
        H, W = (int(v) for v in rng.integers(span, span + 14, 2))
        bounds = None
        if rng.random() < 0.4:
            bounds = (int(rng.integers(-2, 3)), int(rng.integers(-2, 3)), W - 1 - int(rng.integers(-2, 3)),
                      H - 1 - int(rng.integers(-2, 3)))  # fmt: skip
            if (
                min(bounds[2], W - 1) - max(bounds[0], 0) + 1 < span
                or min(bounds[3], H - 1) - max(bounds[1], 0) + 1 < span
            ):
                bounds = None
        image = rng.random((H, W)).astype(np.float32)
        yield image, int(rng.integers(1, 5)), size, bool(rng.random() < 0.5), float(rng.choice([1.5, 2.0, 2.5])), bounds


@needs_vlfeat
@pytest.mark.parametrize("impl", ["jit", "vectorized"])
def test_random_images_and_settings_equal_vlfeat(impl):
    for image, step, size, fast, window, bounds in _random_cases(40, seed=1):
        frames, descriptors = vlfeat.matlab_dsift(image, step, size, fast, window, bounds)
        assert_vlfeat_equal(image, step, size, fast, window, bounds, impl, frames, descriptors)


@needs_vlfeat
def test_the_naive_tier_equals_vlfeat_on_small_images():
    for image, step, size, fast, window, bounds in _random_cases(6, seed=2):
        if size > 4:
            continue
        frames, descriptors = vlfeat.matlab_dsift(image, step, size, fast, window, bounds)
        assert_vlfeat_equal(image, step, size, fast, window, bounds, "naive", frames, descriptors)


@needs_vlfeat
@pytest.mark.parametrize("fast", [False, True])
def test_a_photograph_equals_vlfeat(fast):
    from skimage import data

    image = data.camera()[100:228, 150:250]  # uint8: divided by 255, as the docstring says
    frames, descriptors = vlfeat.matlab_dsift(image.astype(np.float32) / np.float32(255), 3, 4, fast)
    assert_vlfeat_equal(image, 3, 4, fast, 2.0, None, "jit", frames, descriptors)


def test_the_batch_equals_one_image_at_a_time_and_any_thread_count():
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, (5, 26, 31)).astype(np.uint8)
    frames, norms, descriptors = fastlin.dsift_batch(images, step=2, size=4, fast=True)
    assert frames.shape == (norms.shape[1], 2) and descriptors.shape == (5, norms.shape[1], 128)
    for n in range(5):
        one_frames, one = fastlin.dsift(images[n], step=2, size=4, fast=True)
        np.testing.assert_array_equal(one, descriptors[n])
        np.testing.assert_array_equal(one_frames[:, :2], frames)
        np.testing.assert_array_equal(one_frames[:, 2], norms[n])
    for n_threads in (1, 2):
        again = fastlin.dsift_batch(images, step=2, size=4, fast=True, n_threads=min(n_threads, 2))[2]
        np.testing.assert_array_equal(again, descriptors)
    np.testing.assert_allclose(np.linalg.norm(descriptors, axis=2), 1.0, rtol=1e-5)


def test_a_flat_image_gives_zero_descriptors_and_norms():
    frames, descriptors = fastlin.dsift(np.full((20, 20), 0.5), step=2, size=3)
    assert np.all(descriptors == 0) and np.all(frames[:, 2] == 0)


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: fastlin.dsift(np.zeros((9, 9)), size=3), ValueError, "no frame fits.*size=3 spans 10"),
        (lambda: fastlin.dsift(np.zeros((20, 20)), step=0), ValueError, "step must be >= 1"),
        (lambda: fastlin.dsift(np.zeros((20, 20)), size=-1), ValueError, "size must be >= 1"),
        (lambda: fastlin.dsift(np.zeros((20, 20)), size=2.5), TypeError, "size must be an int"),
        (lambda: fastlin.dsift(np.zeros((20, 20, 3))), ValueError, "gray pixels.*rgb2gray"),
        (lambda: fastlin.dsift(np.full((20, 20), np.nan)), ValueError, "image contains NaN"),
        (lambda: fastlin.dsift(np.full((20, 20), 1e39)), ValueError, "beyond float32"),
        (lambda: fastlin.dsift(np.zeros((20, 20)), window_size=0), ValueError, "window_size must be > 0"),
        (lambda: fastlin.dsift(np.zeros((20, 20)), bounds=(0, 0, 5)), ValueError, "bounds must be 4 ints"),
        (lambda: fastlin.dsift(np.zeros((20, 20)), bounds=(0, 0, 5.5, 9)), TypeError, "bounds must be 4 ints"),
        (lambda: fastlin.dsift(np.zeros((20, 20)), bounds=(10, 0, 15, 19)), ValueError, "no frame fits"),
        (lambda: fastlin.dsift(np.zeros((20, 20)), fast="yes"), TypeError, "fast must be True or False"),
        (lambda: fastlin.dsift_batch(np.zeros((20, 20))), ValueError, "a batch \\(N, H, W\\)"),
        (lambda: fastlin.dsift_batch(np.zeros((0, 20, 20))), ValueError, "empty"),
        (lambda: fastlin.dsift(np.zeros((20, 20), dtype=complex)), TypeError, "real numbers"),
    ],
)
def test_bad_input_names_the_argument(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
