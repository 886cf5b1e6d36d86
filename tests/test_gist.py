"""GIST against its reference: Torralba's ``LMgist.m`` run in GNU Octave (a checked-in fixture,
``tests/data/make_gist_fixture.py``), the float64 transcription (the naive tier), and torchgist."""

import functools
from pathlib import Path

import numpy as np
import pytest

import fastlin
from fastlin._spec import gist_gabor
from fastlin._tiers import TIERS
from fastlin.naive.gist import create_gabor
from tests import peers

FIXTURE = Path(__file__).parent / "data" / "gist_lmgist.npz"


def _fixture_cases():
    data = np.load(FIXTURE)
    for key in data.files:
        if key.startswith("gist "):
            name, orientations, blocks, prefilter = key[5:].split("|")
            params = dict(
                orientations=tuple(int(v) for v in orientations.split(",")),
                blocks=int(blocks),
                prefilter=float(prefilter),
            )
            yield pytest.param(data[f"image {key[5:]}"], params, data[key], id=key[5:])


@pytest.mark.parametrize("impl", TIERS)
@pytest.mark.parametrize("image, params, expected", list(_fixture_cases()))
def test_every_tier_equals_lmgist_run_in_octave(image, params, expected, impl):
    axis = -1 if image.ndim == 3 else None
    ours = fastlin.gist(image, channel_axis=axis, impl=impl, **params)
    assert ours.dtype == np.float32 and ours.shape == expected.shape
    np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-6)
    assert np.abs(expected).max() > 0.05  # the fixture holds real descriptors, not zeros


def test_the_fixture_covers_colour_uint8_and_every_parameter():
    data = np.load(FIXTURE)
    images = [data[k] for k in data.files if k.startswith("image ")]
    assert any(im.ndim == 3 for im in images) and any(im.dtype == np.uint8 for im in images)
    keys = [k for k in data.files if k.startswith("gist ")]
    assert len({k.split("|")[1] for k in keys}) >= 3 and len({k.split("|")[2] for k in keys}) >= 3


def test_the_filter_bank_equals_its_transcription():
    for orientations, shape in [((8, 8, 8, 8), (96, 96)), ((8, 8, 4), (40, 36)), ((3,), (22, 30))]:
        np.testing.assert_allclose(gist_gabor(orientations, shape), create_gabor(orientations, shape), atol=1e-14)


@pytest.mark.parametrize("impl", ["vectorized", "jit"])
def test_fast_tiers_equal_the_transcription_on_random_images(impl):
    rng = np.random.default_rng(4)
    for shape, params in [
        ((3, 32, 32), {}),
        ((2, 20, 34), dict(orientations=(4, 6), blocks=3)),
        ((1, 40, 24), dict(blocks=5, boundary=16, prefilter=2.5)),
        ((2, 12, 12), dict(boundary=0, orientations=(2, 2))),
    ]:
        images = rng.random(shape) * 100
        expected = fastlin.gist_batch(images, impl="naive", **params)
        ours = fastlin.gist_batch(images, impl=impl, **params)
        np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize("size", [32, 64, 128])
def test_every_tier_equals_torchgist(size):
    from skimage import data

    image = data.camera()[100 : 100 + size, 200 : 200 + size]
    theirs = peers.torchgist_loop(image[None])
    if theirs is None:
        pytest.skip("torchgist is not installed")
    for impl in TIERS:
        np.testing.assert_allclose(fastlin.gist(image, impl=impl), theirs[0], rtol=0, atol=1e-5)


@pytest.mark.parametrize("impl", TIERS)
def test_a_constant_image_gives_zeros_not_nan(impl):
    images = np.stack([np.full((16, 16), 7.0), np.zeros((16, 16)), np.random.default_rng(0).random((16, 16))])
    out = fastlin.gist_batch(images, impl=impl)
    assert not out[:2].any() and np.isfinite(out).all() and out[2].any()


def test_the_pixels_scale_does_not_matter_but_their_pattern_does():
    rng = np.random.default_rng(5)
    image = rng.random((32, 32))
    base = fastlin.gist(image)
    np.testing.assert_allclose(fastlin.gist(3.5 * image - 20), base, atol=1e-6)
    np.testing.assert_allclose(fastlin.gist(image * 1e305), base, atol=1e-6)  # no overflow in LMgist's 255 * x
    pixels = np.rint(image * 255)
    np.testing.assert_array_equal(fastlin.gist(pixels.astype(np.uint8)), fastlin.gist(pixels))
    assert np.abs(fastlin.gist(image.T) - base).max() > 1e-3


def test_colour_is_the_mean_of_the_channels():
    rgb = np.random.default_rng(6).random((2, 24, 24, 3))
    np.testing.assert_array_equal(fastlin.gist_batch(rgb, channel_axis=-1), fastlin.gist_batch(rgb.mean(-1)))
    first = np.moveaxis(rgb, -1, 1)
    np.testing.assert_array_equal(fastlin.gist_batch(first, channel_axis=1), fastlin.gist_batch(rgb.mean(-1)))


def test_image_size_resizes_and_crops_the_centre():
    from skimage.transform import resize

    image = np.random.default_rng(7).random((40, 60))
    expected = fastlin.gist(resize(image, (32, 48), order=1)[:, 8:40])
    np.testing.assert_array_equal(fastlin.gist(image, image_size=32), expected)


def test_the_batch_is_image_by_image_and_reachable_by_name():
    images = np.random.default_rng(8).random((5, 16, 16, 3))
    batch = fastlin.gist_batch(images, channel_axis=-1)
    for i in range(5):
        np.testing.assert_array_equal(batch[i], fastlin.gist(images[i], channel_axis=-1))
    np.testing.assert_array_equal(fastlin.extract_features(images, ["gist"]), batch)
    per_image = functools.partial(fastlin.gist, channel_axis=2, blocks=2)
    expected = fastlin.gist_batch(images, channel_axis=-1, blocks=2)
    np.testing.assert_array_equal(fastlin.extract_features(images, [per_image]), expected)


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: fastlin.gist(np.zeros((32, 32)), blocks=0), ValueError, "blocks must be >= 1"),
        (lambda: fastlin.gist(np.zeros((8, 8)), blocks=9), ValueError, "blocks=9 makes blocks smaller than a pixel"),
        (lambda: fastlin.gist(np.zeros((32, 32)), boundary=-1), ValueError, "boundary must be >= 0"),
        (lambda: fastlin.gist(np.zeros((32, 32)), prefilter=0), ValueError, "prefilter must be > 0"),
        (lambda: fastlin.gist(np.zeros((32, 32)), prefilter=np.nan), ValueError, "prefilter must be finite"),
        (lambda: fastlin.gist(np.zeros((32, 32)), orientations=()), ValueError, "orientations must name at least"),
        (lambda: fastlin.gist(np.zeros((32, 32)), orientations=(8, 0)), ValueError, r"orientations\[1\] must be >= 1"),
        (lambda: fastlin.gist(np.zeros((32, 32)), orientations="8888"), TypeError, "orientations must be a sequence"),
        (lambda: fastlin.gist(np.zeros((32, 32)), orientations=(8, 2.5)), TypeError, r"orientations\[1\] must be an"),
        (lambda: fastlin.gist(np.zeros((32, 32)), orientations=(8, 8, 8, 40)), ValueError, r"\[3\]=40 is too many"),
        (lambda: fastlin.gist(np.zeros((32, 32)), orientations=(4,) * 8), ValueError, "orientations has 8 scales"),
        (lambda: fastlin.gist(np.zeros((31, 32))), ValueError, "31 x 32.*even sizes"),
        (lambda: fastlin.gist(np.zeros((32, 32)), image_size=33), ValueError, "image_size must be even"),
        (lambda: fastlin.gist(np.zeros((32, 32)), image_size=0), ValueError, "image_size must be >= 2"),
        (lambda: fastlin.gist(np.full((32, 32), np.nan)), ValueError, "image contains NaN"),
        (lambda: fastlin.gist(np.full((32, 32), np.inf)), ValueError, "image contains"),
        (lambda: fastlin.gist(np.zeros((32, 32, 3))), ValueError, "channel_axis"),
        (lambda: fastlin.gist_batch(np.zeros((0, 32, 32))), ValueError, "empty"),
        (lambda: fastlin.gist_batch(np.zeros((32, 32))), ValueError, "a batch"),
        (lambda: fastlin.gist(np.zeros((32, 32), dtype=complex)), TypeError, "real numbers"),
        (lambda: fastlin.gist(np.zeros((32, 32)), impl="fast"), ValueError, "impl"),
    ],
)
def test_bad_input_names_the_argument(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
