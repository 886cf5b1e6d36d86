"""Regression tests of the newer surfaces' faults (Dask losses, fitted encoders, Standardizer,
LBP, fetch_cifar10, the CLI's options): one test, or more, per numbered fault."""

import hashlib
import io
import subprocess
import sys
import tarfile

import numpy as np
import pytest

import fastlin
from fastlin import cli
from fastlin.datasets import CIFAR10_FOLDER, fetch_cifar10
from fastlin.preprocessing import Standardizer
from tests.test_hardening import ROOT, run_python


def exit_status(argv) -> int:
    """``fastlin``'s exit status for ``argv``: argparse's own errors exit through SystemExit."""
    try:
        return cli.main(argv)
    except SystemExit as e:
        return e.code


def _images(n=10, size=12, color=True, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, size, size, 3) if color else (n, size, size)).astype(np.uint8)


# 1. fastlin.dask's losses check the labels -----------------------------------------------------


@pytest.mark.parametrize("bad", [3, -1, 1000, 10**9])
@pytest.mark.parametrize("kind", ["svm", "softmax"])
def test_dask_losses_refuse_labels_out_of_range(kind, bad):
    fdask = pytest.importorskip("fastlin.dask")
    da = pytest.importorskip("dask.array")
    rng = np.random.default_rng(0)
    X = da.from_array(rng.standard_normal((20, 4)), chunks=(10, 4))
    y = rng.integers(0, 3, 20)
    y[13] = bad
    with pytest.raises(ValueError, match=r"y must be in \[0, 3\)"):
        getattr(fdask, f"{kind}_loss")(np.zeros((4, 3)), X, y)


def test_dask_losses_refuse_float_labels():
    fdask = pytest.importorskip("fastlin.dask")
    da = pytest.importorskip("dask.array")
    X = da.from_array(np.ones((6, 2)), chunks=(3, 2))
    with pytest.raises(TypeError, match="integer class labels"):
        fdask.svm_loss(np.zeros((2, 3)), X, np.zeros(6))


# 2. a fitted encoder's buffers come from its fitted state -------------------------------------


def test_kmeans_features_refuse_a_patch_size_changed_after_fit():
    images = _images()
    enc = fastlin.KMeansFeatures(n_centroids=4, patch_size=4, n_patches=500, random_state=0).fit(images)
    before = enc.transform(images)
    for name, value, fitted in (("patch_size", 6, 4), ("contrast_eps", None, 10), ("contrast_eps", 1.0, 10)):
        enc.set_params(**{name: value})
        with pytest.raises(ValueError, match=f"{name}=.* fitted with {name}="):
            enc.transform(images)
        enc.set_params(**{name: fitted})
    np.testing.assert_array_equal(enc.transform(images), before)
    enc.set_params(stride=2, pooling_grid=(1, 1))  # not fitted: free to change
    assert enc.transform(images).shape == (10, 4)


def test_kmeans_features_refuse_tampered_fitted_arrays():
    images = _images()
    enc = fastlin.KMeansFeatures(n_centroids=4, patch_size=4, n_patches=500, random_state=0).fit(images)
    enc.centroids_ = np.zeros((4, 108), np.float32)
    with pytest.raises(ValueError, match="centroids_"):
        enc.transform(images)


def test_bag_of_words_refuses_a_patch_size_changed_after_fit():
    images = _images(color=False)
    bow = fastlin.BagOfVisualWords(n_words=3, patch_size=4, stride=4, random_state=0).fit(images)
    bow.set_params(patch_size=6)
    with pytest.raises(ValueError, match="patch_size=6, .* fitted with patch_size=4"):
        bow.transform(images)
    bow.set_params(patch_size=4, descriptor="hog")
    with pytest.raises(ValueError, match="descriptor='hog', .* fitted with descriptor='patch'"):
        bow.transform(images)


def test_set_params_then_transform_is_memory_safe_under_bounds_checks(tmp_path):
    code = """
        import numpy as np, fastlin
        images = np.random.default_rng(0).integers(0, 256, (10, 12, 12, 3)).astype(np.uint8)
        enc = fastlin.KMeansFeatures(n_centroids=4, patch_size=4, n_patches=500, random_state=0).fit(images)
        enc.set_params(patch_size=6)
        try:
            enc.transform(images)
        except ValueError as e:
            print("refused:", e)
    """
    # a cache of its own: Numba's cache index does not tell bounds-checked code apart, and the
    # next process would load these slower kernels (with other last bits) from the shared one
    out = run_python(code, NUMBA_BOUNDSCHECK="1", NUMBA_CACHE_DIR=str(tmp_path / "numba-cache"))
    assert out.returncode == 0, out.stderr
    assert "refused: patch_size=6" in out.stdout


# 3. KMeansFeatures' power ---------------------------------------------------------------------


@pytest.mark.parametrize("power", [100, 1.5, 0.0, float("inf")])
def test_kmeans_features_power_is_at_most_one(power):
    with pytest.raises(ValueError, match="power"):
        fastlin.KMeansFeatures(n_centroids=4, power=power).fit(_images())


def test_cli_power_beyond_one_is_a_usage_error(capsys):
    assert exit_status(["train", "--features", "coates", "--power", "1000"]) == 2
    err = capsys.readouterr().err
    assert "--power" in err and "Warning" not in err and err.count("\n") == 1


# 4. and 5. Standardizer at the ends of the float range -----------------------------------------


@pytest.mark.parametrize(
    "X, eps",
    [
        (np.ones((5, 1), np.float32), 1e-300),
        (np.array([[0.0], [1e-40]], np.float32), 0.0),
        (np.array([[3e38], [3e38], [-3e38]], np.float32), 0.0),
        (np.array([[1e308], [1e308]]), 0.0),
        (np.array([[1e308], [-1e308], [5e307]]), 0.0),
    ],
)
def test_standardizer_is_finite_at_the_ends_of_the_range(X, eps):
    out = Standardizer(eps=eps).fit(X).transform(X)
    assert out.dtype == X.dtype and np.isfinite(out).all()
    assert np.isfinite(Standardizer(eps=eps).fit(X).scale_).all()
    wide = X.astype(np.longdouble)  # 80-bit on x86: room for squares of 1e308
    with np.errstate(invalid="ignore"):
        ref = (wide - wide.mean(0)) / np.sqrt(wide.var(0) + eps)
    ref = np.where(np.isfinite(ref), ref, 0.0)  # a constant column: 0 / 0 -> 0
    np.testing.assert_allclose(out.astype(np.float64), ref.astype(np.float64), rtol=1e-6, atol=1e-6)


def test_standardizer_says_when_new_data_overflow_the_dtype():
    scaler = Standardizer().fit(np.array([[0.0], [1e-30]], np.float32))
    with pytest.raises(FloatingPointError, match="float32"):
        scaler.transform(np.array([[1e30]], np.float32))


# 6. and 7. LBP's radius and the variance of huge pixels --------------------------------------


@pytest.mark.parametrize("R", [1e6, 1e4, 1001])
def test_lbp_radius_is_bounded(R):
    image = _images(1, 8, color=False)
    for fn in (lambda: fastlin.lbp_batch(image, 8, R), lambda: fastlin.lbp_histogram(image, 8, R)):
        with pytest.raises(ValueError, match="R must be <= 1000"):
            fn()


def test_lbp_largest_radius_gives_the_right_answer():
    skimage_feature = pytest.importorskip("skimage.feature")
    image = _images(1, 6, color=False)[0]
    np.testing.assert_array_equal(
        fastlin.local_binary_pattern(image, 8, 1000, "uniform"),
        skimage_feature.local_binary_pattern(image, 8, 1000, "uniform"),
    )


@pytest.mark.parametrize("impl", ["jit", "vectorized", "naive"])
def test_lbp_var_refuses_pixels_whose_squares_overflow(impl):
    image = np.full((1, 5, 5), 1e160)
    with pytest.raises(ValueError, match="beyond \\+-1e\\+150: method=.var."):
        fastlin.lbp_batch(image, 8, 1, "var", impl=impl)
    ok = fastlin.lbp_batch(np.full((1, 5, 5), 4e148) * np.arange(25).reshape(1, 5, 5), 8, 1, "var", impl=impl)
    assert not np.isinf(ok).any()


# 8.-10. KMeansFeatures' sizes, contrast_eps and ragged input ---------------------------------


def test_kmeans_features_huge_n_patches_names_it():
    with pytest.raises(ValueError, match="n_patches"):
        fastlin.KMeansFeatures(n_centroids=4, n_patches=10**12).fit(_images())


def test_kmeans_features_contrast_eps_zero_is_refused():
    flat = np.zeros((4, 12, 12, 3), np.uint8)
    with pytest.raises(ValueError, match="contrast_eps must be > 0"):
        fastlin.KMeansFeatures(n_centroids=2, n_patches=100, contrast_eps=0).fit(flat)
    codes = fastlin.KMeansFeatures(n_centroids=2, n_patches=100, contrast_eps=1e-30, random_state=0).fit(flat)
    assert np.isfinite(codes.transform(flat)).all()


@pytest.mark.parametrize("cls", [fastlin.KMeansFeatures, fastlin.BagOfVisualWords, fastlin.TextonFeatures])
def test_encoders_name_images_when_ragged(cls):
    ragged = [np.zeros((12, 12)), np.zeros((10, 12))]
    with pytest.raises(ValueError, match="images must be a rectangular array"):
        cls().fit(ragged)


# 11. and 12. fetch_cifar10 -------------------------------------------------------------------


def test_fetch_truncated_archive_with_matching_md5_is_a_value_error(tmp_path):
    from tests.test_fetch import _archive

    payload = _archive(tmp_path)[:-2000]
    home = tmp_path / "home"
    home.mkdir()
    (home / "cifar-10-python.tar.gz").write_bytes(payload)
    with pytest.raises(ValueError, match="cifar-10-python.tar.gz.*(truncated|corrupt|not a)"):
        fetch_cifar10(home, md5=hashlib.md5(payload).hexdigest(), progress=False)
    assert not (home / CIFAR10_FOLDER).exists()


def test_fetch_refuses_a_bad_url_and_progress(tmp_path):
    with pytest.raises(TypeError, match="url must be a string"):
        fetch_cifar10(tmp_path, url=None)
    with pytest.raises(TypeError, match="progress must be True or False"):
        fetch_cifar10(tmp_path, progress="no")
    with pytest.raises(TypeError, match="md5 must be a string"):
        fetch_cifar10(tmp_path, md5=123)


def test_fetch_of_a_tar_that_is_not_gzip_or_tar(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    payload = b"this is not an archive" * 100
    (home / "cifar-10-python.tar.gz").write_bytes(payload)
    with pytest.raises(ValueError, match="cifar-10-python.tar.gz"):
        fetch_cifar10(home, md5=hashlib.md5(payload).hexdigest(), progress=False)


def test_fetch_of_a_good_tar_still_works(tmp_path):
    from tests.test_fetch import _archive

    payload = _archive(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    (home / "cifar-10-python.tar.gz").write_bytes(payload)
    assert tarfile.open(fileobj=io.BytesIO(payload))  # a sanity check of the fixture
    folder = fetch_cifar10(home, md5=hashlib.md5(payload).hexdigest(), progress=False)
    assert folder == home / CIFAR10_FOLDER


# 13.-15. the CLI's usage errors, found before any work -----------------------------------------


@pytest.mark.parametrize(
    "argv, match",
    [
        (["--features", "coates", "--power", "inf"], "--power"),
        (["--features", "coates", "--power", "nan"], "--power"),
        (["--lr", "inf"], "--lr"),
        (["--reg", "inf"], "--reg"),
        (["--features", "coates", "--patches", "1"], "--centroids 2400 is more than --patches 1"),
        (["--features", "coates", "--patch-size", "40"], "--patch-size 40"),
        (["--features", "coates", "--stride", "40"], "--grid 2 has more cells than the 1x1 patch positions"),
    ],
)
def test_cli_argument_conflicts_exit_2_before_work(argv, match, capsys):
    assert exit_status(["train", *argv]) == 2
    err = capsys.readouterr().err
    assert match in err and err.count("\n") == 1, err


def test_cli_scheduler_without_dask_is_one_line_and_exit_2():
    code = """
        import sys
        sys.modules["dask"] = None  # as if Dask were not installed
        from fastlin import cli
        sys.exit(cli.main(["train", "--scheduler", "tcp://127.0.0.1:1", "--iters", "2"]))
    """
    out = subprocess.run([sys.executable, "-c", code.replace("\n        ", "\n")], capture_output=True, text=True,
                         cwd=ROOT, timeout=600)  # fmt: skip
    assert out.returncode == 2, out.stderr
    assert out.stderr.strip() == 'fastlin: error: --scheduler needs Dask: pip install "fastlin[dask]"'


# load_cifar10: labels written as NumPy integers (a subset saved in the official format) ------


def test_cifar_labels_written_as_numpy_integers_are_read(tmp_path):
    import pickle

    from fastlin.datasets import CIFAR10_FILES, load_cifar10

    rng = np.random.default_rng(0)
    for name in CIFAR10_FILES:
        y = rng.integers(0, 10, 3)
        with open(tmp_path / name, "wb") as fh:
            pickle.dump({b"data": rng.integers(0, 256, (3, 3072)).astype(np.uint8), b"labels": list(y)}, fh)
    X_train, y_train, _, y_test = load_cifar10(tmp_path)
    assert y_train.shape == (15,) and y_train.dtype == np.int64 and y_test.shape == (3,)


def test_cifar_numpy_scalars_other_than_integers_are_refused(tmp_path):
    import pickle

    from fastlin.datasets import CIFAR10_FILES, load_cifar10

    for name in CIFAR10_FILES:
        with open(tmp_path / name, "wb") as fh:
            labels = [np.float64(1.5)] * 3
            pickle.dump({b"data": np.zeros((3, 3072), np.uint8), b"labels": labels}, fh)
    with pytest.raises(ValueError, match="data_batch_1.*float64"):
        load_cifar10(tmp_path)
