"""k-means in three tiers and the bag of visual words."""

import functools

import numpy as np
import pytest

import fastlin
from fastlin import _tiers

IMPLS = ("naive", "vectorized", "jit")


def blobs(n=600, d=5, k=4, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    means = rng.uniform(-10, 10, (k, d))
    labels = rng.integers(0, k, n)
    return (means[labels] + rng.standard_normal((n, d))).astype(dtype), labels


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lloyd_step_tiers_agree(dtype):
    X, _ = blobs(300, 7, 5, dtype)
    centers = X[:5].copy() + 0.1
    out = {impl: _tiers.get("kmeans", "lloyd_step", impl)(X, centers) for impl in IMPLS}
    labels, min_sq, sums, counts = out["naive"]
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    for impl, (lab, msq, s, c) in out.items():
        np.testing.assert_array_equal(lab, labels, err_msg=impl)
        np.testing.assert_allclose(msq, min_sq, rtol=rtol, err_msg=impl)
        np.testing.assert_allclose(s, sums, rtol=rtol, atol=1e-9, err_msg=impl)
        np.testing.assert_array_equal(c, counts, err_msg=impl)
    # the labels are the nearest centers
    exact = ((X[:, None, :].astype(np.float64) - centers[None].astype(np.float64)) ** 2).sum(-1)
    np.testing.assert_allclose(min_sq, exact.min(axis=1), rtol=rtol)
    assert counts.sum() == len(X)


def test_seeding_steps_tiers_agree():
    X, _ = blobs(100, 3)
    base = np.random.default_rng(0).uniform(0, 80, 100)
    for impl in IMPLS:
        d2 = base.copy()
        _tiers.get("kmeans", "closer", impl)(X, X[3], d2)
        np.testing.assert_allclose(d2, np.minimum(base, ((X - X[3]) ** 2).sum(1)))
        pot = _tiers.get("kmeans", "potentials", impl)(X, X[[3, 7, 9]], base)
        expected = [np.minimum(base, ((X - X[i]) ** 2).sum(1)).sum() for i in (3, 7, 9)]
        np.testing.assert_allclose(pot, expected, rtol=1e-12)


@pytest.mark.parametrize("impl", IMPLS)
def test_kmeans_finds_the_blobs(impl):
    X, truth = blobs(200 if impl == "naive" else 600)
    centers, labels, inertia = fastlin.kmeans(X, 4, random_state=0, impl=impl)
    assert centers.shape == (4, 5) and labels.shape == (len(X),)
    # every true blob maps to one cluster
    for t in range(4):
        assert len(set(labels[truth == t])) == 1
    d = ((X - centers[labels]) ** 2).sum()
    assert inertia == pytest.approx(d, rel=1e-9)
    exact = ((X[:, None, :] - centers[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(labels, exact.argmin(axis=1))


def test_kmeans_tiers_and_threads_give_the_same_run():
    X, _ = blobs(400, 6, 5)
    runs = [fastlin.kmeans(X, 5, random_state=3, impl=impl) for impl in ("vectorized", "jit")]
    runs.append(fastlin.kmeans(X, 5, random_state=3, n_threads=1))
    for centers, labels, inertia in runs[1:]:
        np.testing.assert_allclose(centers, runs[0][0], rtol=1e-10)
        np.testing.assert_array_equal(labels, runs[0][1])
        assert inertia == pytest.approx(runs[0][2], rel=1e-10)


def test_kmeans_matches_scikit_learn_inertia():
    sklearn_cluster = pytest.importorskip("sklearn.cluster")
    X, _ = blobs(2000, 8, 10, dtype=np.float32, seed=4)
    init = X[np.random.default_rng(0).choice(len(X), 10, replace=False)]
    ours = fastlin.kmeans(X, 10, init=init, max_iter=50, tol=0)
    ref = sklearn_cluster.KMeans(10, init=init, n_init=1, max_iter=50, tol=0, algorithm="lloyd").fit(X)
    assert ours[2] == pytest.approx(ref.inertia_, rel=1e-4)
    assert ours[0].dtype == np.float32


def test_kmeans_empty_cluster_is_reseeded():
    X = np.array([[0.0], [0.1], [0.2], [10.0], [10.1]])
    init = np.array([[0.1], [10.0], [100.0]])  # the third center is nearest to no point
    centers, labels, _ = fastlin.kmeans(X, 3, init=init, max_iter=10)
    assert len(np.unique(labels)) == 3
    assert np.isfinite(centers).all()


def test_kmeans_one_cluster_and_deterministic():
    X, _ = blobs(50)
    c, labels, inertia = fastlin.kmeans(X, 1)
    np.testing.assert_allclose(c[0], X.mean(axis=0))
    a = fastlin.kmeans(X, 3, random_state=9)
    b = fastlin.kmeans(X, 3, random_state=9)
    np.testing.assert_array_equal(a[0], b[0])


@pytest.mark.parametrize(
    "kw, exc, match",
    [
        ({"n_clusters": 0}, ValueError, "n_clusters must be >= 1"),
        ({"n_clusters": 11}, ValueError, "more than the 10 points"),
        ({"X": np.full((10, 2), np.nan)}, ValueError, "X contains NaN"),
        ({"init": "best"}, ValueError, "init must be"),
        ({"init": np.zeros((3, 3))}, ValueError, "init has shape"),
        ({"max_iter": 0}, ValueError, "max_iter must be >= 1"),
        ({"tol": -1.0}, ValueError, "tol must be >= 0"),
        ({"impl": "gpu"}, ValueError, "impl must be one of"),
    ],
)
def test_kmeans_bad_input(kw, exc, match):
    kw = {"X": np.random.default_rng(0).standard_normal((10, 2)), "n_clusters": 2, **kw}
    with pytest.raises(exc, match=match):
        fastlin.kmeans(kw.pop("X"), kw.pop("n_clusters"), **kw)


def images(n=30, shape=(24, 24), seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, *shape)).astype(np.uint8)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("shape", [(24, 24), (24, 20, 3)])
def test_bow_encoding_matches_the_numpy_reference(shape, dtype):
    imgs = images(40, shape).astype(dtype)  # uint8 takes the summed-area path, float32 the direct one
    bow = fastlin.BagOfVisualWords(n_words=12, patch_size=6, stride=3, normalize=None, random_state=0).fit(imgs)
    counts = bow.transform(imgs)
    batch = imgs if imgs.ndim == 4 else imgs[..., None]
    ref = _tiers.get("bow", "encode_patches", "vectorized")(batch, 6, 3, bow.words_)
    np.testing.assert_array_equal(counts, ref)
    assert bow.words_.shape == (12, 6 * 6 * (3 if len(shape) == 3 else 1))


def test_bow_normalization_determinism_and_single_images():
    imgs = images()
    a = fastlin.BagOfVisualWords(n_words=8, random_state=1, max_patches=5).fit(imgs)
    b = fastlin.BagOfVisualWords(n_words=8, random_state=1, max_patches=5).fit(imgs)
    np.testing.assert_array_equal(a.words_, b.words_)
    h = a.transform(imgs)
    np.testing.assert_allclose(h.sum(axis=1), 1.0)
    np.testing.assert_array_equal(a.transform(imgs[3]), h[3])
    a.set_params(normalize="l2")
    np.testing.assert_allclose(np.linalg.norm(a.transform(imgs), axis=1), 1.0)
    np.testing.assert_array_equal(a.fit_transform(imgs), a.fit(imgs).transform(imgs))


def test_bow_hog_descriptor():
    imgs = images(20, (16, 16))
    bow = fastlin.BagOfVisualWords(n_words=6, descriptor="hog", random_state=0).fit(imgs)
    assert bow.words_.shape == (6, 36)
    h = bow.transform(imgs)
    assert h.shape == (20, 6)
    np.testing.assert_allclose(h.sum(axis=1), 1.0)


def test_bow_in_extract_features_and_sklearn_conventions():
    imgs = images()
    bow = fastlin.BagOfVisualWords(n_words=8, random_state=0).fit(imgs)
    feats = fastlin.extract_features(imgs, [bow.transform, functools.partial(fastlin.hog, cells_per_block=(2, 2))])
    np.testing.assert_allclose(feats[:, :8], bow.transform(imgs))
    base = pytest.importorskip("sklearn.base")
    twin = base.clone(bow)
    assert twin.get_params() == bow.get_params() and not hasattr(twin, "words_")


def test_bow_bad_input():
    imgs = images()
    exceptions = pytest.importorskip("sklearn.exceptions")
    with pytest.raises(exceptions.NotFittedError):
        fastlin.BagOfVisualWords().transform(imgs)
    with pytest.raises(ValueError, match="patch_size=32 is larger than the images"):
        fastlin.BagOfVisualWords(patch_size=32).fit(imgs)
    with pytest.raises(ValueError, match="stride must be >= 1"):
        fastlin.BagOfVisualWords(stride=0).fit(imgs)
    with pytest.raises(ValueError, match="n_words=500 is more than"):
        fastlin.BagOfVisualWords(n_words=500).fit(imgs[:2])
    bow = fastlin.BagOfVisualWords(n_words=4, random_state=0).fit(imgs)
    with pytest.raises(ValueError, match="was fitted on"):
        bow.transform(images(3, (28, 28)))
    with pytest.raises(ValueError, match="was fitted on"):
        bow.transform(np.zeros((3, 24, 24, 3), np.uint8))
    with pytest.raises(ValueError, match="contains NaN"):
        bow.transform(np.full((2, 24, 24), np.nan))


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("tol", [0.0, 1e-4])
def test_kmeans_overflow_is_one_clear_error(impl, tol):
    # finite points whose squared distances overflow float64: no RuntimeWarning first
    X = np.random.default_rng(0).standard_normal((50, 3)) * 1e200
    with pytest.raises(FloatingPointError, match="squared distances .* overflowed"):
        fastlin.kmeans(X, 3, tol=tol, random_state=0, impl=impl)


# --- dense descriptors, soft codes, the spatial pyramid -----------------------------------------


def test_encode_cells_agrees_across_tiers():
    from fastlin import _tiers

    rng = np.random.default_rng(4)
    desc = rng.standard_normal((3, 25, 12)).astype(np.float32)
    words = rng.standard_normal((6, 12)).astype(np.float32)
    cells = np.stack([np.zeros(25, np.int64), 1 + np.arange(25) % 4], axis=1)
    for triangle in (True, False):
        ref = _tiers.run("bow", "encode_cells", "naive", None, desc, words, cells, 5, triangle)
        assert ref.shape == (3, 5, 6)
        # each level holds every descriptor's code once: the whole image equals the sum of its quadrants
        np.testing.assert_allclose(ref[:, 0], ref[:, 1:].sum(axis=1), rtol=1e-5)
        if not triangle:
            assert (ref[:, 0].sum(axis=1) == 25).all()
        for impl in ("vectorized", "jit"):
            np.testing.assert_allclose(
                _tiers.run("bow", "encode_cells", impl, None, desc, words, cells, 5, triangle), ref, atol=1e-5
            )


def test_pyramid_cells_cut_the_image_level_by_level():
    from fastlin.bow import pyramid_cells

    centres = np.array([[0.0, 0.0], [31.0, 0.0], [0.0, 31.0], [20.0, 20.0], [15.9, 16.0]])
    cells = pyramid_cells(centres, (32, 32), (1, 2, 4))
    assert cells[:, 0].tolist() == [0, 0, 0, 0, 0]
    assert cells[:, 1].tolist() == [1, 2, 3, 4, 3]  # quadrants 1..4, row-major
    assert cells[:, 2].tolist() == [5, 5 + 3, 5 + 12, 5 + 2 * 4 + 2, 5 + 2 * 4 + 1]


@pytest.mark.parametrize("impl", ["vectorized", "naive"])
def test_dense_sift_bag_of_words_agrees_across_tiers(impl):
    rng = np.random.default_rng(5)
    images = rng.integers(0, 256, (4, 20, 22, 3)).astype(np.uint8)
    params = dict(descriptor="dsift", n_words=5, patch_size=3, stride=3, encoding="triangle", pyramid=(1, 2),
                  power=0.5, normalize=None, random_state=0)  # fmt: skip
    jit = fastlin.BagOfVisualWords(**params).fit(images)
    features = jit.transform(images)
    assert features.shape == (4, 5 * 5) and np.isfinite(features).all() and (features >= 0).all()
    other = fastlin.BagOfVisualWords(**{**params, "impl": impl})
    other.words_, other.image_shape_ = jit.words_, jit.image_shape_
    np.testing.assert_allclose(other.transform(images), features, rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(jit.transform(images[1]), features[1])  # one image


def test_hard_codes_pooled_over_a_pyramid_count_every_patch_per_level():
    images = np.random.default_rng(6).integers(0, 256, (3, 16, 16)).astype(np.uint8)
    bow = fastlin.BagOfVisualWords(n_words=4, patch_size=4, stride=4, pyramid=(1, 2), normalize=None, random_state=0)
    counts = bow.fit(images).transform(images)
    assert counts.shape == (3, 4 * 5)
    np.testing.assert_array_equal(counts[:, :4].sum(axis=1), 16)  # level 1: the 16 patches
    np.testing.assert_array_equal(counts[:, :4], counts[:, 4:].reshape(3, 4, 4).sum(axis=1))
    plain = fastlin.BagOfVisualWords(n_words=4, patch_size=4, stride=4, normalize=None, random_state=0).fit(images)
    np.testing.assert_array_equal(plain.transform(images), counts[:, :4])  # the fused path agrees


@pytest.mark.parametrize(
    "params, exc, match",
    [
        (dict(encoding="soft"), ValueError, "encoding must be one of"),
        (dict(pyramid=()), ValueError, "pyramid must list distinct levels"),
        (dict(pyramid=(1, 1)), ValueError, "pyramid must list distinct levels"),
        (dict(pyramid=2), TypeError, "pyramid must be a tuple"),
        (dict(pyramid=(0,)), ValueError, "pyramid level must be >= 1"),
        (dict(power=1.5), ValueError, "power must be <= 1"),
        (dict(descriptor="dsift", patch_size=9), ValueError, "no frame fits"),
    ],
)
def test_bag_of_words_parameters_are_checked(params, exc, match):
    images = np.zeros((2, 16, 16), np.uint8)
    with pytest.raises(exc, match=match):
        fastlin.BagOfVisualWords(n_words=2, **params).fit(images)
