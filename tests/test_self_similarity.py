"""Local self-similarity against OpenCV 2.4's ``SelfSimDescriptor`` (its source compiled alone: a
checked-in fixture, ``tests/data/make_ssim_fixture.py``) and against its transcription (the naive tier)."""

from pathlib import Path

import numpy as np
import pytest

import fastlin
from fastlin._spec import ssim_log_polar_bins
from fastlin._tiers import TIERS
from fastlin.self_similarity import OPENCV

FIXTURE = Path(__file__).parent / "data" / "ssim_opencv24.npz"
NAMES = ("step", "small_size", "large_size", "start_bucket", "distance_buckets", "angles")


def _fixture_cases():
    data = np.load(FIXTURE)
    for key in data.files:
        if key.startswith("ssim "):
            name, *values = key[5:].split("|")
            params = dict(zip(NAMES, map(int, values), strict=True))
            yield pytest.param(data[f"image {key[5:]}"], params, data[key], id=key[5:])


@pytest.mark.parametrize("impl", TIERS)
@pytest.mark.parametrize("image, params, expected", list(_fixture_cases()))
def test_every_tier_equals_opencv_24(image, params, expected, impl):
    centres, ours = fastlin.self_similarity(image, impl=impl, **params)
    assert ours.dtype == np.float32 and ours.shape == expected.shape and len(centres) == len(ours)
    np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-6)
    assert 0.05 < expected.mean() < 0.95  # real descriptors, neither all 0 nor all 1


def test_the_fixture_covers_opencvs_defaults_and_others():
    keys = [k for k in np.load(FIXTURE).files if k.startswith("ssim ")]
    defaults = "|".join(str(OPENCV[n]) for n in NAMES[1:])
    assert sum(k.split("|", 1)[1].endswith(defaults) for k in keys) >= 3
    assert len({k.split("|", 2)[2] for k in keys}) >= 3


def test_the_points_are_opencvs_grid():
    image = np.zeros((50, 61), np.uint8)
    centres, desc = fastlin.self_similarity(image, step=3, **OPENCV)
    border = 22  # largeSize / 2 + smallSize / 2
    xs, ys = np.arange(border, 61 - border, 3), np.arange(border, 50 - border, 3)
    np.testing.assert_array_equal(centres, np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2))
    assert desc.shape == (len(xs) * len(ys), 80)


def test_log_polar_bins_hold_every_bin_with_opencvs_values():
    bins = ssim_log_polar_bins(41, 20, 3, 7)
    counts = np.bincount(bins.ravel(), minlength=81)
    assert (counts[:80] > 0).all() and bins[20, 20] == 80  # the centre is in no bin
    # angle bucket 0 straddles 0 degrees: (+x, y = 0) and just below it
    assert bins[20, 35] % 20 == 0 and bins[19, 35] % 20 == 0 and bins[35, 20] % 20 == 5  # +y is 90 degrees
    assert bins[20, 40] == 80 and bins[20, 21] == 80  # distance 20 rounds to bucket 7, distance 1 to 0: no bin


@pytest.mark.parametrize("impl", ["vectorized", "jit"])
def test_fast_tiers_equal_the_transcription(impl):
    rng = np.random.default_rng(5)
    images = rng.integers(0, 256, (3, 29, 34)).astype(np.uint8)
    images[1] = np.add.outer(np.arange(29), 2 * np.arange(34)) % 256  # smooth ramps
    for params in [{}, dict(step=1, small_size=1, large_size=7, angles=4, start_bucket=0, distance_buckets=3),
                   dict(step=5, small_size=5, large_size=9, angles=6, start_bucket=1, distance_buckets=3)]:  # fmt: skip
        _, want = fastlin.self_similarity_batch(images, impl="naive", **params)
        _, got = fastlin.self_similarity_batch(images, impl=impl, **params)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)


def test_a_constant_image_is_self_similar_everywhere():
    _, desc = fastlin.self_similarity(np.full((32, 32), 77, np.uint8))
    assert (desc == 1).all()  # every SSD is 0: exp(0); the defaults leave no bin empty


def test_colour_images_go_through_rgb2gray():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (2, 32, 32, 3)).astype(np.uint8)
    gray = np.rint(rgb @ np.array([0.2125, 0.7154, 0.0721])).astype(np.uint8)
    np.testing.assert_array_equal(
        fastlin.self_similarity_batch(rgb, channel_axis=-1)[1], fastlin.self_similarity_batch(gray)[1]
    )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(large_size=41), "large_size=41"),
        (dict(small_size=4), "small_size must be odd"),
        (dict(large_size=16), "large_size must be odd"),
        (dict(angles=7), "angles must divide 360"),
        (dict(step=0), "step"),
        (dict(start_bucket=4, distance_buckets=4), "distance_buckets"),
        (dict(small_size=-3), "small_size"),
    ],
)
def test_bad_parameters_name_the_argument(kwargs, message):
    with pytest.raises(ValueError, match=message):
        fastlin.self_similarity(np.zeros((32, 32), np.uint8), **kwargs)


def test_bad_images_get_clear_errors():
    with pytest.raises(TypeError, match="uint8"):
        fastlin.self_similarity(np.zeros((32, 32)))
    with pytest.raises(ValueError, match="empty"):
        fastlin.self_similarity_batch(np.zeros((0, 32, 32), np.uint8))
    with pytest.raises(ValueError, match="3 colour channels"):
        fastlin.self_similarity_batch(np.zeros((1, 32, 32, 4), np.uint8), channel_axis=-1)
    with pytest.raises(ValueError, match="needs 9 pixels"):
        fastlin.self_similarity(np.zeros((8, 40), np.uint8))
