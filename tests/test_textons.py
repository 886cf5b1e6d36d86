"""Filter responses against ``scipy.ndimage.convolve`` (the stated boundary rule), MR8 and the
contrast normalization against their definitions, texton histograms across tiers, and
``TextonFeatures``."""

import numpy as np
import pytest
import scipy.ndimage as ndi

import fastlin
from fastlin._tiers import TIERS
from fastlin.textons import standardized


def _scipy_responses(images, bank):
    return np.stack([np.stack([ndi.convolve(im, f, mode="reflect") for f in bank], axis=-1) for im in images])


def _images(shape, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.random(shape) * 255
    images[0] = np.add.outer(np.sin(np.arange(shape[1]) / 2), np.cos(np.arange(shape[2]) / 3)) * 100  # structure
    return images


@pytest.mark.parametrize("impl", TIERS)
@pytest.mark.parametrize("name", ["LM", "RFS", "S"])
@pytest.mark.parametrize("shape", [(2, 32, 32), (2, 9, 13)])  # CIFAR's size; a filter 4 times the image
def test_responses_equal_scipy_ndimage_with_reflect_boundary(impl, name, shape):
    if impl == "naive" and shape[1] == 32 and name != "S":
        pytest.skip("the naive tier's 49 x 49 windows take a second per CIFAR image: the S bank covers it")
    images = _images(shape)
    bank = fastlin.filter_bank(name)
    ours = fastlin.filter_responses(images, name, impl=impl)
    want = _scipy_responses(images, bank)
    assert ours.dtype == np.float32 and ours.shape == want.shape
    scale = np.abs(want).max()
    assert scale > 1
    np.testing.assert_allclose(ours, want, rtol=0, atol=1e-5 * scale)


def _mr8(r):
    groups = r[..., :36].reshape(*r.shape[:-1], 6, 6)
    return np.concatenate([np.abs(groups[..., :3, :]).max(-1), groups[..., 3:, :].max(-1), r[..., 36:]], axis=-1)


@pytest.mark.parametrize("impl", TIERS)
def test_mr8_and_the_contrast_normalization_follow_their_definitions(impl):
    images = _images((2, 11, 12), seed=1)
    r = _scipy_responses(images, fastlin.filter_bank("RFS"))
    mr8 = fastlin.filter_responses(images, "RFS", mr8=True, impl=impl)
    np.testing.assert_allclose(mr8, _mr8(r), rtol=0, atol=1e-5 * np.abs(r).max())
    z = _scipy_responses(standardized(images), fastlin.filter_bank("RFS"))
    z = _mr8(z)
    norm = np.linalg.norm(z, axis=-1, keepdims=True)
    want = z * np.log1p(norm / 0.03) / norm
    ours = fastlin.filter_responses(images, "RFS", mr8=True, normalize=True, impl=impl)
    np.testing.assert_allclose(ours, want, rtol=0, atol=1e-5 * np.abs(want).max())
    # the normalization ignores the image's contrast and brightness
    again = fastlin.filter_responses(3 * images + 40, "RFS", mr8=True, normalize=True, impl=impl)
    np.testing.assert_allclose(again, ours, rtol=0, atol=1e-5 * np.abs(want).max())


def test_colour_images_are_taken_to_gray_and_any_bank_works():
    rng = np.random.default_rng(2)
    rgb = rng.integers(0, 256, (2, 10, 10, 3)).astype(np.uint8)
    gray = rgb @ np.array([0.2125, 0.7154, 0.0721])
    bank = rng.standard_normal((3, 5, 5))
    np.testing.assert_allclose(
        fastlin.filter_responses(rgb, bank, channel_axis=-1), _scipy_responses(gray, bank), rtol=0, atol=1e-3
    )


def _labels(images, textons, impl):
    """Each pixel's nearest texton, read from histograms with one pixel per cell."""
    tf = fastlin.TextonFeatures(n_textons=len(textons), bank="S", normalize=False, cells=images.shape[1], impl=impl)
    tf.textons_, tf.bank_, tf.image_shape_ = textons, fastlin.filter_bank("S").copy(), images.shape[1:]
    hist = tf.transform(images).reshape(len(images), -1, len(textons))
    assert np.all(hist.sum(-1) == 1)
    return hist.argmax(-1)


def test_texton_assignments_agree_across_tiers_but_for_near_ties():
    images = _images((3, 12, 12), seed=3)
    r = _scipy_responses(images, fastlin.filter_bank("S")).reshape(3, -1, 13)
    rng = np.random.default_rng(0)
    textons = r.reshape(-1, 13)[rng.choice(3 * 144, 24, replace=False)].astype(np.float32) + 0.01
    d = ((r[:, :, None, :] - textons[None, None]) ** 2).sum(-1)
    part = np.sort(d, axis=-1)
    clear = part[..., 1] - part[..., 0] > 1e-4 * part[..., 1]
    assert clear.mean() > 0.95
    want = d.argmin(-1)
    for impl in TIERS:
        got = _labels(images, textons, impl)
        np.testing.assert_array_equal(got[clear], want[clear])


def test_texton_features_fit_and_transform():
    rng = np.random.default_rng(4)
    images = (rng.random((30, 16, 16, 3)) * 255).astype(np.uint8)
    tf = fastlin.TextonFeatures(n_textons=10, bank="RFS", mr8=True, cells=2, n_samples=2000, random_state=0)
    F = tf.fit(images).transform(images)
    assert tf.textons_.shape == (10, 8) and F.shape == (30, 40) and F.dtype == np.float32
    np.testing.assert_allclose(F.reshape(30, 4, 10).sum(-1), 1, rtol=1e-6)
    again = fastlin.TextonFeatures(n_textons=10, bank="RFS", mr8=True, cells=2, n_samples=2000, random_state=0)
    np.testing.assert_array_equal(again.fit(images).textons_, tf.textons_)
    for impl in ("naive", "vectorized"):
        tf.set_params(impl=impl)
        other = tf.transform(images[:2])
        assert np.abs(other - F[:2]).sum() <= 0.02 * F[:2].sum()
    tf.set_params(impl="jit", power=0.5)
    np.testing.assert_allclose(tf.transform(images), np.sqrt(F), rtol=1e-6)


def test_texton_features_refuse_what_does_not_fit():
    images = np.random.default_rng(5).random((4, 12, 12))
    with pytest.raises(fastlin._sklearn.NotFittedError):
        fastlin.TextonFeatures().transform(images)
    tf = fastlin.TextonFeatures(n_textons=4, bank="S", n_samples=100, random_state=0).fit(images)
    with pytest.raises(ValueError, match="fitted on"):
        tf.transform(images[:, :10])
    tf.set_params(bank="LM")
    with pytest.raises(ValueError, match="bank"):
        tf.transform(images)
    tf.set_params(bank="S", mr8=True)
    with pytest.raises(ValueError, match="mr8"):
        tf.transform(images)
    with pytest.raises(ValueError, match="n_textons"):
        fastlin.TextonFeatures(n_textons=700, bank="S").fit(images)
    with pytest.raises(ValueError, match="cells"):
        fastlin.TextonFeatures(cells=13, bank="S").fit(images)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(bank="XX"), ValueError, "name|bank"),
        (dict(bank=np.zeros((2, 4, 4))), ValueError, "s odd"),
        (dict(bank=np.full((1, 3, 3), np.nan)), ValueError, "NaN"),
        (dict(bank="LM", mr8=True), ValueError, "RFS"),
        (dict(mr8="yes"), TypeError, "mr8"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, error, message):
    with pytest.raises(error, match=message):
        fastlin.filter_responses(np.zeros((1, 8, 8)), **kwargs)


def test_bad_images_get_clear_errors():
    with pytest.raises(ValueError, match="NaN"):
        fastlin.filter_responses(np.full((1, 8, 8), np.nan))
    with pytest.raises(ValueError, match="empty"):
        fastlin.filter_responses(np.zeros((0, 8, 8)))
    with pytest.raises(ValueError, match="1e\\+30"):
        fastlin.filter_responses(np.full((1, 8, 8), 1e35))
