"""KMeansFeatures (Coates, Lee & Ng), the squared hinge loss and the Standardizer."""

import numpy as np
import pytest

import fastlin
from fastlin import KMeansFeatures, LinearSVM, Standardizer, squared_hinge_loss
from fastlin.gradcheck import grad_check_sparse
from fastlin.preprocessing import Standardizer as _Standardizer


def _images(n=12, size=12, seed=0):
    rng = np.random.default_rng(seed)
    # smooth-ish colour images: blocks of colour plus noise, so patches differ in structure
    base = rng.integers(0, 256, (n, size // 3, size // 3, 3)).repeat(3, axis=1).repeat(3, axis=2)
    return np.clip(base + rng.integers(-20, 21, base.shape), 0, 255).astype(np.uint8)


def _whitened_patches(im, enc):
    """Every patch of one image (row-major positions), normalized as the paper does and whitened: (R * Q, D), R, Q."""
    p = enc.patch_size
    H, W, _ = im.shape
    R, Q = H - p + 1, W - p + 1
    patches = np.array([im[r : r + p, c : c + p].ravel() for r in range(R) for c in range(Q)])
    patches = (patches - patches.mean(1, keepdims=True)) / np.sqrt(patches.var(1, ddof=1, keepdims=True) + 10)
    return (patches - enc.shift_) @ enc.whiten_.astype(np.float64), R, Q


def _paper_features(images, enc):
    """The paper's extract_features, written out in NumPy one image at a time (MATLAB's order)."""
    out = []
    for im in images.astype(np.float64):
        patches, R, Q = _whitened_patches(im, enc)
        c = enc.centroids_.astype(np.float64)
        z = np.sqrt(np.maximum((patches**2).sum(1)[:, None] + (c**2).sum(1)[None] - 2 * patches @ c.T, 0))
        f = np.maximum(z.mean(1, keepdims=True) - z, 0).reshape(R, Q, -1)
        hr, hc = int(np.floor(R / 2 + 0.5)), int(np.floor(Q / 2 + 0.5))  # MATLAB's round(prows / 2)
        quads = [f[:hr, :hc], f[:hr, hc:], f[hr:, :hc], f[hr:, hc:]]
        out.append(np.concatenate([q.sum((0, 1)) for q in quads]))
    return np.array(out)


@pytest.mark.parametrize("impl", ["jit", "vectorized", "naive"])
def test_features_follow_the_papers_recipe(impl):
    images = _images(6, 12)
    enc = KMeansFeatures(n_centroids=9, n_patches=500, random_state=0, impl=impl).fit(images)
    ours = enc.transform(images)
    ref = _paper_features(images, enc)
    assert ours.shape == (6, 4 * 9) and ours.dtype == np.float32
    np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-3 * np.abs(ref).max())


def test_fit_whitens_the_sampled_patches():
    images = _images(40, 15, seed=3)
    enc = KMeansFeatures(n_centroids=4, n_patches=5000, random_state=1).fit(images)
    # the whitening matrix is symmetric, and the covariance of the patches it was fitted on
    # becomes V diag(s / (s + zca_eps)) V^T: eigenvalues below 1, the largest close to it
    np.testing.assert_allclose(enc.whiten_, enc.whiten_.T, atol=1e-5)
    params = enc._check_params()
    sample = enc._sample(enc._images(images, params), params, np.random.default_rng(1))  # fit's draw
    values = np.sort(np.linalg.eigvalsh(np.cov(((sample - enc.shift_) @ enc.whiten_).T)))
    assert values[-1] < 1.0 + 1e-3 and values[-20] > 0.9


def test_same_seed_same_codebook_and_other_options():
    images = _images(10, 12)
    a = KMeansFeatures(n_centroids=5, n_patches=800, random_state=4).fit(images)
    b = KMeansFeatures(n_centroids=5, n_patches=800, random_state=4).fit(images)
    np.testing.assert_array_equal(a.centroids_, b.centroids_)
    hard = KMeansFeatures(n_centroids=5, n_patches=800, random_state=4, encoding="hard", pooling_grid=(1, 1))
    counts = hard.fit(images).transform(images)
    assert counts.shape == (10, 5)
    np.testing.assert_array_equal(counts.sum(1), np.full(10, 7 * 7))  # every patch counted once
    mean = KMeansFeatures(n_centroids=5, n_patches=800, random_state=4, pooling="mean", encoding="hard")
    fractions = mean.fit(images).transform(images).reshape(10, 4, 5)
    np.testing.assert_allclose(fractions.sum(2), 1.0, rtol=1e-6)
    plain = KMeansFeatures(n_centroids=5, n_patches=800, random_state=4, whiten=False, contrast_eps=None)
    plain.fit(images)
    np.testing.assert_array_equal(plain.whiten_, np.eye(108, dtype=np.float32))


def test_gray_images_stride_and_float_pixels():
    rng = np.random.default_rng(2)
    gray = rng.random((5, 10, 11))
    enc = KMeansFeatures(n_centroids=3, patch_size=4, stride=2, contrast_eps=1e-3, n_patches=300, random_state=0)
    feats = enc.fit(gray).transform(gray)
    assert feats.shape == (5, 12) and np.isfinite(feats).all()
    vec = KMeansFeatures(**{**enc.get_params(), "impl": "vectorized"})
    for name in ("centroids_", "shift_", "whiten_", "image_shape_"):
        setattr(vec, name, getattr(enc, name))
    np.testing.assert_allclose(vec.transform(gray), feats, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n_centroids=0), "n_centroids"),
        (dict(encoding="relu"), "encoding"),
        (dict(pooling="max"), "pooling"),
        (dict(pooling_grid=(8, 8)), "pooling_grid"),
        (dict(patch_size=13), "larger than the images"),
        (dict(zca_eps=0), "zca_eps"),
        (dict(contrast_eps=-1), "contrast_eps"),
        (dict(n_centroids=50, n_patches=10), "more than n_patches"),
        (dict(mirror=1), "mirror"),
    ],
)
def test_bad_parameters_are_refused_before_any_work(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        KMeansFeatures(**{"n_patches": 100, "n_centroids": 3, **kwargs}).fit(_images(3, 12))


def test_transform_checks_fitted_and_shape():
    enc = KMeansFeatures(n_centroids=3, n_patches=100)
    with pytest.raises(fastlin._sklearn.NotFittedError):
        enc.transform(_images(2, 12))
    enc.fit(_images(3, 12))
    with pytest.raises(ValueError, match="fitted on"):
        enc.transform(_images(2, 15))
    bad = _images(2, 12).astype(np.float64)
    bad[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        enc.transform(bad)


# --- the squared hinge ----------------------------------------------------------------------


@pytest.mark.parametrize("impl", ["naive", "vectorized", "jit"])
def test_squared_hinge_gradient_is_the_numerical_one(impl):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 15))
    y = rng.integers(0, 4, 40)
    W = 0.3 * rng.standard_normal((15, 4))
    _, dW = squared_hinge_loss(W, X, y, 0.05, impl=impl)
    errors = grad_check_sparse(lambda w: squared_hinge_loss(w, X, y, 0.05, impl=impl)[0], W, dW, 15, seed=1)
    assert errors.max() < 1e-7


def test_squared_hinge_is_the_squared_margins():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((30, 6))
    y = rng.integers(0, 3, 30)
    W = rng.standard_normal((6, 3))
    S = X @ W
    margins = np.maximum(0, S - S[np.arange(30), y][:, None] + 1)
    margins[np.arange(30), y] = 0
    loss, _ = squared_hinge_loss(W, X, y)
    assert loss == pytest.approx((margins**2).sum() / 30, rel=1e-12)


def test_linear_svm_squared_hinge_learns_digits():
    from fastlin.datasets import load_digits

    images, labels = load_digits()
    order = np.random.default_rng(0).permutation(len(labels))
    X = Standardizer().fit_transform(images.reshape(len(images), -1).astype(np.float64))[order]
    labels = labels[order]
    model = LinearSVM(loss="squared_hinge", learning_rate=1e-3, num_iters=600, random_state=0)
    assert model.fit(X[:1400], labels[:1400]).score(X[1400:], labels[1400:]) > 0.93
    with pytest.raises(ValueError, match="loss"):
        LinearSVM(loss="l1").fit(X[:50], labels[:50])


# --- the standardizer -------------------------------------------------------------------------


def test_standardizer_matches_scikit_learn_and_keeps_float32():
    sklearn = pytest.importorskip("sklearn.preprocessing")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((5000, 7)) * [1, 10, 1e3, 0.1, 1, 1, 1] + 100
    X[:, 5] = 3.0  # constant column
    ours = _Standardizer().fit(X)
    ref = sklearn.StandardScaler().fit(X)
    np.testing.assert_allclose(ours.mean_, ref.mean_, rtol=1e-12)
    np.testing.assert_allclose(ours.scale_, ref.scale_, rtol=1e-10)
    np.testing.assert_allclose(ours.transform(X), ref.transform(X), atol=1e-9)
    f32 = ours.transform(X.astype(np.float32))
    assert f32.dtype == np.float32
    eps = _Standardizer(eps=0.01).fit(X)
    np.testing.assert_allclose(eps.scale_, np.sqrt(X.var(0) + 0.01))
    with pytest.raises(ValueError, match="expecting 7"):
        ours.transform(X[:, :3])


def test_standardizer_in_a_pipeline():
    pipeline = pytest.importorskip("sklearn.pipeline")
    from fastlin.datasets import load_digits

    images, labels = load_digits()
    order = np.random.default_rng(0).permutation(len(labels))
    X = images.reshape(len(images), -1).astype(np.float32)[order]
    labels = labels[order]
    model = pipeline.make_pipeline(Standardizer(), fastlin.SoftmaxClassifier(random_state=0, num_iters=300))
    assert model.fit(X[:1400], labels[:1400]).score(X[1400:], labels[1400:]) > 0.93
    # the pipeline's first step is the fitted standardizer
    np.testing.assert_allclose(model[0].mean_, X[:1400].mean(0, dtype=np.float64), rtol=1e-6)


def test_power_and_in_place_standardization():
    images = _images(6, 12)
    enc = KMeansFeatures(n_centroids=4, n_patches=300, random_state=0).fit(images)
    plain = enc.transform(images)
    enc.set_params(power=0.5)
    np.testing.assert_allclose(enc.transform(images), np.sqrt(plain), rtol=1e-6)
    X = np.random.default_rng(0).standard_normal((50, 3)).astype(np.float32)
    scaler = Standardizer(copy=False).fit(X)
    out = scaler.transform(X)
    assert out is X and abs(float(X.mean())) < 1e-6
    frozen = np.ones((4, 3))
    frozen.flags.writeable = False
    assert Standardizer(copy=False).fit(frozen).transform(frozen) is not frozen  # never writes a read-only input


def test_values_that_cannot_be_encoded_are_refused():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="one value has no variance"):
        KMeansFeatures(n_centroids=2, n_patches=50, patch_size=1).fit(rng.random((3, 6, 6)))
    with pytest.raises(ValueError, match="beyond"):
        KMeansFeatures(n_centroids=2, n_patches=50).fit(rng.random((3, 8, 8, 3)) * 1e30)
    large = rng.random((4, 8, 8, 3)) * 1e14  # the largest accepted values encode to finite features
    encoder = KMeansFeatures(n_centroids=2, n_patches=50, contrast_eps=None, whiten=False, random_state=0)
    assert np.isfinite(encoder.fit(large).transform(large)).all()


def _soft_features(images, enc, split):
    """Coates & Ng's soft threshold written out: scores of the whitened patches, pooled over quadrants."""
    alpha = enc.alpha
    out = []
    for im in images.astype(np.float64):
        patches, R, Q = _whitened_patches(im, enc)
        s = patches @ enc.centroids_.astype(np.float64).T
        f = np.maximum(s - alpha, 0)
        if split:
            f = np.concatenate([f, np.maximum(-s - alpha, 0)], axis=1)
        f = f.reshape(R, Q, -1)
        hr, hc = int(np.floor(R / 2 + 0.5)), int(np.floor(Q / 2 + 0.5))
        out.append(np.concatenate([q.sum((0, 1)) for q in (f[:hr, :hc], f[:hr, hc:], f[hr:, :hc], f[hr:, hc:])]))
    return np.array(out)


@pytest.mark.parametrize("impl", ["jit", "vectorized", "naive"])
@pytest.mark.parametrize("encoding", ["soft", "soft-split"])
@pytest.mark.parametrize("dictionary", ["omp1", "patches"])
def test_soft_threshold_encodings_follow_coates_and_ng(impl, encoding, dictionary):
    images = _images(5, 12, seed=2)
    enc = KMeansFeatures(n_centroids=8, n_patches=600, encoding=encoding, alpha=0.3, dictionary=dictionary,
                         random_state=0, impl=impl).fit(images)  # fmt: skip
    np.testing.assert_allclose(np.linalg.norm(enc.centroids_, axis=1), 1, rtol=1e-5)  # unit-norm atoms
    ours = enc.transform(images)
    ref = _soft_features(images, enc, encoding == "soft-split")
    assert ours.shape == (5, 4 * 8 * (2 if encoding == "soft-split" else 1)) and ours.dtype == np.float32
    assert (ref > 0).mean() > 0.2  # the threshold leaves real codes
    np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-3 * np.abs(ref).max())


@pytest.mark.parametrize("impl", ["jit", "vectorized", "naive"])
def test_mirror_averages_the_features_of_each_image_and_its_mirror_image(impl):
    images = _images(5, 12, seed=4)
    enc = KMeansFeatures(n_centroids=6, n_patches=600, encoding="soft-split", dictionary="omp1", power=0.5,
                         mirror=True, random_state=0, impl=impl).fit(images)  # fmt: skip
    ours = enc.transform(images)
    # written out from the reference features: the quadrant sums of the image and of its left-right
    # mirror image, each square-rooted, then averaged
    ref = 0.5 * (np.sqrt(_soft_features(images, enc, True)) + np.sqrt(_soft_features(images[:, :, ::-1], enc, True)))
    assert ours.shape == (5, 4 * 2 * 6) and ours.dtype == np.float32
    np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-3 * np.abs(ref).max())
    # an image and its mirror image get the same features only through the averaging
    np.testing.assert_allclose(enc.transform(images[:, :, ::-1]), ours, rtol=1e-5, atol=1e-6)
    assert not np.allclose(enc.set_params(mirror=False).transform(images[:, :, ::-1]), enc.transform(images))


def test_omp1_learns_the_directions_of_its_data():
    rng = np.random.default_rng(0)
    truth = fastlin.kmeans_features.unit_rows(rng.standard_normal((5, 12)))
    # every row a multiple (either sign) of one of five directions, plus a little noise
    X = (truth[rng.integers(5, size=4000)] * rng.choice([-3.0, -1.0, 2.0], size=(4000, 1))).astype(np.float32)
    X += 0.01 * rng.standard_normal(X.shape).astype(np.float32)
    atoms = fastlin.kmeans_features.omp1(X, 10, 20, np.random.default_rng(1))  # spare atoms: no local optimum
    np.testing.assert_allclose(np.linalg.norm(atoms, axis=1), 1, rtol=1e-5)
    match = np.abs(atoms @ truth.T).max(axis=0)  # each true direction found by some atom
    assert match.min() > 0.999
    # the first round from random atoms explains less of the data than the converged ones
    first = fastlin.kmeans_features.omp1(X, 10, 1, np.random.default_rng(1))
    assert np.abs(X @ first.T).max(1).sum() < np.abs(X @ atoms.T).max(1).sum()


def test_soft_encoding_parameters_are_checked():
    with pytest.raises(ValueError, match="alpha"):
        KMeansFeatures(alpha=-1).fit(_images())
    with pytest.raises(ValueError, match="dictionary"):
        KMeansFeatures(dictionary="sparse").fit(_images())
    with pytest.raises(ValueError, match="encoding"):
        KMeansFeatures(encoding="relu").fit(_images())
