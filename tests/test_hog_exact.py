"""HOG bin for bin as ``skimage.feature.hog`` on the machine it runs on, on real photographs.

scikit-image bins a gradient by NumPy's ``arctan2`` against float64 edges ``180 / n * i``.
NumPy's ``arctan2`` takes its own SIMD path on CPUs that have one (AVX-512), which can differ
from the C library's ``atan2`` in the last bit, and a gradient exactly on an edge then
changes bin. fastlin must follow whichever path NumPy takes: the photographs below are
checked here, and again in a subprocess with NumPy's AVX-512 dispatch disabled, so both
paths of ``np.arctan2`` are covered on any CI machine that has AVX-512.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from skimage import data
from skimage.feature import hog as sk_hog

import fastlin

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = ("astronaut", "chelsea", "coffee", "camera")
NORMS = ("L1", "L1-sqrt", "L2", "L2-Hys")


def photo(name: str, as_float: bool) -> np.ndarray:
    image = getattr(data, name)()[:160, :160]  # a crop keeps the naive tier quick
    return image / 255.0 if as_float else image


def bins_of(features: np.ndarray, orientations: int) -> np.ndarray:
    """Which bins hold any vote, block by block: equal features come from equal bins."""
    return features.reshape(-1, orientations) > 0


@pytest.mark.parametrize("name", PHOTOS)
@pytest.mark.parametrize("as_float", [False, True], ids=["uint8", "float"])
@pytest.mark.parametrize("orientations", [7, 9, 11, 13])
@pytest.mark.parametrize("transform_sqrt", [False, True], ids=["plain", "sqrt"])
def test_photographs_match_skimage_in_every_tier(name, as_float, orientations, transform_sqrt):
    image = photo(name, as_float)
    axis = -1 if image.ndim == 3 else None
    for norm in NORMS:
        kw = dict(
            orientations=orientations,
            pixels_per_cell=(8, 8),
            cells_per_block=(2, 2),
            block_norm=norm,
            transform_sqrt=transform_sqrt,
            channel_axis=axis,
        )
        ref = sk_hog(image, **kw)
        impls = ("jit", "vectorized", "naive") if norm == "L2-Hys" else ("jit", "vectorized")
        for impl in impls:
            out = fastlin.hog(image, impl=impl, **kw)
            np.testing.assert_allclose(out, ref, rtol=0, atol=1e-5, err_msg=f"{impl} {norm}")
            np.testing.assert_array_equal(bins_of(out, orientations), bins_of(ref, orientations))
        batch = fastlin.hog_batch(
            np.stack([image, image[::-1]]), **{**kw, "channel_axis": None if axis is None else -1}
        )
        np.testing.assert_allclose(batch[0], ref, rtol=0, atol=1e-5)
        np.testing.assert_allclose(batch[1], sk_hog(image[::-1], **kw), rtol=0, atol=1e-5)


@pytest.mark.parametrize(
    "image, kw",
    [
        # a gradient at 25.714... degrees: between the float32 and float64 roundings of 180/7
        (
            np.array([[0, 0, 0], [0, 0, 1.0], [0, np.tan(np.deg2rad(25.7142853)), 0]]),
            dict(orientations=7, pixels_per_cell=(3, 3), cells_per_block=(1, 1), block_norm="L1"),
        ),
        # differences of square roots exactly on the 60-degree edge
        (
            np.array([[0, 3, 0], [6, 0, 1], [0, 18, 0]], np.uint8),
            dict(orientations=9, pixels_per_cell=(3, 3), cells_per_block=(1, 1), block_norm="L1", transform_sqrt=True),
        ),
    ],
    ids=["float32-edge-rounding", "sqrt-on-60-degrees"],
)
def test_gradients_on_an_edge_land_where_skimage_puts_them(image, kw):
    ref = sk_hog(image, **kw)
    for impl in ("jit", "vectorized", "naive"):
        np.testing.assert_allclose(fastlin.hog(image, impl=impl, **kw), ref, rtol=0, atol=1e-12, err_msg=impl)
        batch = fastlin.hog_batch(np.stack([image, image]), impl=impl, **kw)
        np.testing.assert_allclose(batch[1], ref, rtol=0, atol=1e-12, err_msg=impl)


def test_too_small_image_carries_skimages_phrase():
    with pytest.raises(ValueError, match="image is too small given") as info:
        fastlin.hog(np.zeros((23, 23)), pixels_per_cell=(8, 8), cells_per_block=(3, 3))
    assert "23x23" in str(info.value) and "24 rows" in str(info.value)


CHECK_WITHOUT_AVX512 = """
import numpy as np, fastlin
from skimage import data
from skimage.feature import hog as sk_hog
for name in ("astronaut", "coffee"):
    image = getattr(data, name)()[:160, :160]
    for x in (image, image / 255.0):
        for o in (7, 9):
            kw = dict(orientations=o, pixels_per_cell=(8, 8), cells_per_block=(2, 2), transform_sqrt=True)
            kw["channel_axis"] = -1
            ref = sk_hog(x, **kw)
            for impl in ("jit", "vectorized"):
                assert np.abs(fastlin.hog(x, impl=impl, **kw) - ref).max() < 1e-5, (name, o, impl)
print("ok")
"""


def test_photographs_match_with_numpys_avx512_dispatch_disabled():
    from numpy._core._multiarray_umath import __cpu_dispatch__

    disabled = [f for f in ("AVX512F", "AVX512_SKX") if f in __cpu_dispatch__]
    env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": " ".join(disabled)}
    out = subprocess.run(
        [sys.executable, "-c", CHECK_WITHOUT_AVX512], capture_output=True, text=True, cwd=ROOT, env=env, timeout=600
    )
    assert out.stdout.strip() == "ok", out.stderr
