"""Regression tests of the faults a hostile user found (one test, or more, per numbered fault)."""

import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import fastlin
from fastlin import cli, optim
from fastlin.datasets import CIFAR10_FILES, load_cifar10
from tests.test_datasets_cli import write_cifar

ROOT = Path(__file__).resolve().parents[1]


def run_python(code: str, timeout: float = 600, **env) -> subprocess.CompletedProcess:
    # a guard against hangs, not a speed test: a cold compile under NUMBA_BOUNDSCHECK=1 on a
    # busy 2-core machine took over 120 s
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, **env},
    )


# 1. code execution from a data file ---------------------------------------------------------


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_malicious_cifar_pickle_runs_nothing(tmp_path):
    write_cifar(tmp_path)
    marker = tmp_path / "pwned"
    with open(tmp_path / "data_batch_1", "wb") as fh:
        pickle.dump({b"data": _Payload(marker), b"labels": []}, fh, protocol=2)
    with pytest.raises(ValueError, match="data_batch_1.*os.*system|data_batch_1.*posix.*system"):
        load_cifar10(tmp_path)
    assert not marker.exists()
    assert cli.main(["train", "--dataset", f"cifar10:{tmp_path}"]) == 1
    assert not marker.exists()


# 2. a parameter that made the colour kernel write out of bounds ------------------------------


def test_a_histogram_range_whose_width_overflows_is_refused():
    images = np.zeros((3, 4, 4, 3), np.uint8)
    with pytest.raises(ValueError, match="too wide"):
        fastlin.color_histogram_hsv_batch(images, xmin=-1e308, xmax=1e308)


# 3. optim.sgd validates like every public function -----------------------------------------


def sgd_inputs(C=3):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 5))
    return X, rng.integers(0, C, 40), optim.new_state(np.zeros((5, C)), np.zeros(C))


@pytest.mark.parametrize(
    "change, exc, match",
    [
        (dict(y=np.full(40, 3)), ValueError, "y must be in"),
        (dict(y=np.zeros(40)), TypeError, "integer class labels"),
        (dict(kind="hinge"), ValueError, "kind must be one of"),
        (dict(batch_size=0), ValueError, "batch_size must be >= 1"),
        (dict(reg=-1.0), ValueError, "reg must be >= 0"),
        (dict(sample_weight=np.ones(3)), ValueError, "sample_weight must have shape"),
        (dict(num_iters=10**15), ValueError, "num_iters must be <="),
        (dict(rng=-1), ValueError, "rng must be a non-negative"),
        (dict(fit_intercept="no"), TypeError, "fit_intercept must be True or False"),
    ],
)
def test_sgd_validates_its_inputs(change, exc, match):
    X, y, state = sgd_inputs()
    kw = {**dict(kind="svm", X=X, y=y, state=state, num_iters=3, schedule="constant"), **change}
    with pytest.raises(exc, match=match):
        optim.sgd(**kw)


def test_sgd_trains_when_called_directly():
    X, y, state = sgd_inputs()
    history = optim.sgd(
        "softmax", X, y, state, num_iters=50, schedule="constant", learning_rate=0.1, batch_size=8, rng=0
    )
    # mini-batch losses are noisy: compare the first and last ten steps, with a fixed seed
    assert history.shape == (50,) and history[-10:].mean() < history[:10].mean()


# 4. NaN never passes as agreement ------------------------------------------------------------


def test_grad_check_reports_nan_and_non_finite_f():
    x = np.ones((3, 2))
    errors = fastlin.grad_check_sparse(lambda w: float((w**2).sum()), x, np.full((3, 2), np.nan), num_checks=4)
    assert np.isnan(errors).all()
    with pytest.raises(FloatingPointError, match="non-finite"):
        fastlin.grad_check_sparse(lambda w: np.nan, x, 2 * x, num_checks=2)


def test_fastlin_check_fails_on_nan_gradients(monkeypatch, capsys):
    def nan_loss(W, X, y, reg=0.0, **kw):
        return float(np.sum(W)), np.full_like(W, np.nan)

    monkeypatch.setattr(fastlin, "svm_loss", nan_loss)
    assert cli.check() == 1
    assert "DISAGREE" in capsys.readouterr().out


# 5. weights whose sum overflows ---------------------------------------------------------------


def test_huge_sample_weights_are_normalized_without_overflow():
    rng = np.random.default_rng(0)
    X, W, y = rng.standard_normal((20, 4)), rng.standard_normal((4, 3)), rng.integers(0, 3, 20)
    plain = fastlin.svm_loss(W, X, y)
    huge = fastlin.svm_loss(W, X, y, sample_weight=np.full(20, 1e308))
    assert huge[0] == pytest.approx(plain[0], rel=1e-12) and huge[0] > 0
    np.testing.assert_allclose(huge[1], plain[1], rtol=1e-12)


# 6. the penalty's overflow -------------------------------------------------------------------


@pytest.mark.parametrize("penalty", ["l2", "l1", "elasticnet"])
def test_penalty_overflow_raises(penalty):
    rng = np.random.default_rng(0)
    X, W, y = rng.standard_normal((20, 4)), rng.standard_normal((4, 3)), rng.integers(0, 3, 20)
    with pytest.raises(FloatingPointError, match="penalty overflowed"):
        fastlin.softmax_loss(W, X, y, reg=1e308, penalty=penalty)
    with pytest.raises(FloatingPointError):
        fastlin.regularization(np.full((3, 3), 1e200), 1.0)


# 7. SGD checks its rate and its parameters ----------------------------------------------------


@pytest.mark.parametrize(
    "schedule, match", [(lambda t: float("nan"), "returned nan at step 0"), (lambda t: -0.1, "returned -0.1 at step 0")]
)
def test_sgd_refuses_bad_rates(schedule, match):
    X, y, state = sgd_inputs()
    with pytest.raises(FloatingPointError, match=match):
        optim.sgd("svm", X, y, state, num_iters=3, schedule=schedule)
    model = fastlin.LinearSVM(schedule=schedule, num_iters=3)
    with pytest.raises(FloatingPointError, match=match):
        model.fit(X, y)


def test_sgd_divergence_names_the_step_and_rate():
    X, y, _ = sgd_inputs()
    model = fastlin.LinearSVM(learning_rate=1e30, schedule="constant", num_iters=200, random_state=0)
    with pytest.raises(FloatingPointError, match=r"step \d+ \(learning rate 1e\+30\)"):
        model.fit((X * 1e5).astype(np.float32), y)


# 8. Ctrl-C reaches the user as KeyboardInterrupt ----------------------------------------------

# A process started in the background by a non-interactive shell inherits SIGINT ignored
# (POSIX), and Python then leaves it ignored; a terminal's Ctrl-C is what is tested, so both
# tests give the child the terminal's disposition first.

INTERRUPT = """
import os, signal, threading, numpy as np, fastlin
signal.signal(signal.SIGINT, signal.default_int_handler)
rng = np.random.default_rng(0)
X = rng.standard_normal((20000, 1000)).astype(np.float32)
W = rng.standard_normal((1000, 10)).astype(np.float32)
y = rng.integers(0, 10, 20000)
fastlin.svm_loss(W, X, y)
threading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
try:
    for _ in range(10000):
        fastlin.svm_loss(W, X, y)
    print("not interrupted")
except KeyboardInterrupt:
    print("KeyboardInterrupt")
"""


def test_ctrl_c_in_a_kernel_is_a_keyboard_interrupt():
    out = run_python(INTERRUPT)
    assert out.stdout.strip() == "KeyboardInterrupt", out.stderr


def test_fastlin_train_interrupted_exits_130():
    proc = subprocess.Popen(
        [sys.executable, "-m", "fastlin", "train", "--iters", "50000000", "--batch-size", "1"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # Python installs its handler
    )

    time.sleep(8)  # imports, the digits and the first compiled steps
    proc.send_signal(signal.SIGINT)
    try:  # a signal during a compilation is seen when LLVM returns: minutes on a slow machine
        out, err = proc.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    assert proc.returncode == 130, err
    assert err.strip() == "fastlin: interrupted"


# 9. fork after a parallel kernel never hangs ----------------------------------------------

FORK = """
import multiprocessing as mp, numpy as np, fastlin
X = np.random.default_rng(0).standard_normal((64, 8)); W = np.ones((8, 3)); y = np.arange(64) % 3
def work(i):
    return fastlin.svm_loss(W, X, y)[0]
if __name__ == "__main__":
    print(work(0))
    with mp.get_context("fork").Pool(2) as pool:
        try:
            pool.map_async(work, range(2)).get(timeout=60)
            print("worked")
        except RuntimeError as e:
            print("error:", e)
    with mp.get_context("spawn").Pool(2) as pool:
        print(pool.map_async(work, range(2)).get(timeout=120))
"""


def test_fork_after_a_kernel_fails_fast_or_works(tmp_path):
    script = tmp_path / "fork_pool.py"  # a file: the spawn workers import `work` from it
    script.write_text(textwrap.dedent(FORK))
    out = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 3, out.stderr
    assert lines[1] == "worked" or ("spawn" in lines[1] and "fork" in lines[1])
    assert lines[2].startswith("[") and float(lines[0]) > 0


# 10. no hidden copy of X in k-means ------------------------------------------------------------


def test_kmeans_peak_memory_is_a_small_fraction_of_x():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200_000, 32), dtype=np.float32)
    init = X[:8].copy()
    fastlin.kmeans(X[:1000], 8, init=init[:8], max_iter=2)  # compile outside the measurement
    tracemalloc.start()
    fastlin.kmeans(X, 8, init=init, max_iter=2)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 0.35 * X.nbytes, f"peak {peak / X.nbytes:.2f}x X"


# 11. CIFAR files that are not CIFAR-10 batches ------------------------------------------------


def _batch(data, labels):
    return {b"data": data, b"labels": labels}


@pytest.mark.parametrize(
    "content, match",
    [
        (b"", "is empty"),
        (b"\x80\x02}q\x00(X", "not a valid"),  # truncated
        (bytes(range(256)) * 4, "not a valid"),  # random bytes
        (pickle.dumps(_batch(np.full((2, 3072), 300.7), [0, 1]), protocol=2), "uint8 array"),
        (pickle.dumps(_batch(np.zeros((2, 3072), np.uint8), [-1, 1]), protocol=2), r"labels must be in \[0, 10\)"),
        (pickle.dumps(_batch(np.zeros((2, 3072), np.uint8), [0, 99]), protocol=2), r"labels must be in \[0, 10\)"),
        (pickle.dumps(_batch(np.zeros((2, 3072), np.uint8), ["a", 1]), protocol=2), "list of ints"),
    ],
    ids=["empty", "truncated", "random", "float-pixels", "label-minus-1", "label-99", "string-label"],
)
def test_corrupt_cifar_files_are_value_errors_naming_the_file(tmp_path, content, match):
    write_cifar(tmp_path)
    (tmp_path / CIFAR10_FILES[2]).write_bytes(content)
    with pytest.raises(ValueError, match=match) as info:
        load_cifar10(tmp_path)
    assert CIFAR10_FILES[2] in str(info.value)


# 12. bool flags ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: fastlin.hog(np.zeros((16, 16)), transform_sqrt="no"),
        lambda: fastlin.hog(np.zeros((16, 16)), feature_vector=1),
        lambda: fastlin.color_histogram_hsv(np.zeros((4, 4, 3)), normalized="no"),
        lambda: fastlin.LinearSVM(fit_intercept="no").fit(np.zeros((4, 2)), [0, 1, 0, 1]),
        lambda: fastlin.extract_features(np.zeros((2, 16, 16)), [fastlin.hog], progress="yes"),
    ],
    ids=["transform_sqrt", "feature_vector", "normalized", "fit_intercept", "progress"],
)
def test_non_bool_flags_are_type_errors(call):
    with pytest.raises(TypeError, match="must be True or False"):
        call()


# 13. absurd sizes are refused before anything is allocated ------------------------------------


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: fastlin.hog(np.zeros((16, 16)), orientations=10**12), "orientations must be <="),
        (lambda: fastlin.color_histogram_hsv(np.zeros((4, 4, 3)), nbin=10**12), "nbin must be <="),
        (lambda: fastlin.SoftmaxClassifier(num_iters=10**15).fit(np.zeros((4, 2)), [0, 1, 0, 1]), "num_iters"),
        (lambda: fastlin.hog_batch(np.zeros((5000, 64, 64)), orientations=60000), "orientations makes the result"),
        (lambda: optim.random_search(lambda w: 0.0, (10**6, 10**6)), "shape makes the result"),
    ],
    ids=["orientations", "nbin", "num_iters", "hog-result", "random-search-shape"],
)
def test_absurd_sizes_are_value_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# 14. complex values are refused, not silently cast ---------------------------------------------


def test_complex_weights_and_init_are_type_errors():
    X, y = np.zeros((4, 2)), [0, 1, 0, 1]
    with pytest.raises(TypeError, match="sample_weight must hold real numbers"):
        fastlin.LinearSVM().fit(X, y, sample_weight=np.ones(4) + 1j)
    with pytest.raises(TypeError, match="init must hold real numbers"):
        fastlin.kmeans(np.random.default_rng(0).random((10, 2)), 2, init=np.ones((2, 2)) + 1j)


# 15. finite but huge inputs --------------------------------------------------------------------


def test_huge_images_give_an_error_naming_the_argument_or_the_right_answer():
    image = np.random.default_rng(0).random((16, 16)).astype(np.float32) * np.float32(1e38)
    with pytest.raises(ValueError, match="image has values up to"):
        fastlin.hog(image, pixels_per_cell=(8, 8), cells_per_block=(1, 1))
    with pytest.raises(ValueError, match="images has values up to"):
        fastlin.hog_batch(image[None], pixels_per_cell=(8, 8), cells_per_block=(1, 1))
    images = np.random.default_rng(1).integers(0, 256, (20, 16, 16)).astype(np.uint8)
    bow = fastlin.BagOfVisualWords(n_words=4, patch_size=4, stride=2, random_state=0).fit(images)
    np.testing.assert_allclose(bow.transform(images * 1e39), bow.transform(images), atol=0.02)
    big = fastlin.BagOfVisualWords(n_words=4, patch_size=4, stride=2, random_state=0).fit(images * 1e39)
    assert np.isfinite(big.words_).all()
    with pytest.raises(ValueError, match="images has values beyond"):
        bow.transform(images * 1e200)


# 16. numerical_gradient and rel_error ------------------------------------------------------------


def test_numerical_gradient_and_rel_error_refuse_what_they_cannot_compute():
    with pytest.raises(FloatingPointError, match="non-finite"):
        fastlin.numerical_gradient(lambda x: float("nan"), np.ones(3))
    with pytest.raises(TypeError, match="float32 or float64"):
        fastlin.numerical_gradient(lambda x: float(x.sum()), np.ones(3, np.float16))
    with pytest.raises(TypeError, match="b must hold real numbers"):
        fastlin.rel_error(np.ones(2), np.ones(2) + 1j)


@pytest.mark.parametrize(
    "f, match",
    [
        (lambda w: fastlin.svm_loss(w, np.ones((4, 3)), [0, 1, 0, 1]), r"tuple of 2.*\[0\]"),  # the usual slip
        (lambda w: w.sum(axis=0), r"array of shape \(2,\)"),
        (lambda w: [1.0], r"array of shape \(1,\)"),
        (lambda w: 1j, "one real number, got complex"),
        (lambda w: "0.5", "one real number, got str"),
    ],
)
def test_gradient_checks_say_what_f_returned(f, match):
    W = np.full((3, 2), 0.1)
    with pytest.raises(TypeError, match=match):
        fastlin.numerical_gradient(f, W)
    with pytest.raises(TypeError, match=match):
        fastlin.grad_check_sparse(f, W, np.zeros_like(W))
    # f may return any real scalar: a Python float, a NumPy scalar, a 0-d array
    for g in (lambda w: float(w.sum()), lambda w: np.float64(w.sum()), lambda w: np.asarray(w.sum())):
        np.testing.assert_allclose(fastlin.numerical_gradient(g, W), np.ones_like(W), rtol=1e-6)


# 17. the command line ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv, match",
    [
        (["train", "--plot", "/no/such/folder/run.png"], "does not exist"),
        (["train", "--plot", ""], "is empty"),
        (["train", "--seed", "-1"], "--seed"),
    ],
)
def test_cli_plot_and_seed_are_checked_before_any_work(argv, match, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and match in err


def test_cli_plot_into_a_folder_or_without_suffix(tmp_path, capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "--plot", str(tmp_path)])
    assert "is a folder" in capsys.readouterr().err
    pytest.importorskip("matplotlib")
    assert cli.main(["train", "--iters", "20", "--plot", str(tmp_path / "run")]) == 0
    assert (tmp_path / "run.png").is_file()
    assert f"{tmp_path / 'run.png'}:" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["--lr", "1e300"], ["--reg", "1e308"]])
def test_cli_divergence_is_one_line_and_exit_1(argv, capsys):
    assert cli.main(["train", "--iters", "50", *argv]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("fastlin: error:")


# 18. messages name the argument ----------------------------------------------------------------


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: fastlin.SoftmaxClassifier(random_state=-1).fit(np.zeros((4, 2)), [0, 1, 0, 1]), "random_state"),
        (lambda: fastlin.kmeans(np.zeros((4, 2)), 2, random_state=-1), "random_state"),
        (lambda: fastlin.extract_features(np.zeros((2, 16, 16)), fastlin.hog), "feature_fns must be a list"),
        (lambda: fastlin.hog_batch([np.zeros((16, 16)), np.zeros((8, 8))]), "images must be a rectangular"),
        (
            lambda: optim.sgd(
                "svm",
                np.zeros((4, 2)),
                [0, 1, 0, 5],
                optim.new_state(np.zeros((2, 2)), np.zeros(2)),
                num_iters=1,
                schedule="constant",
            ),
            "y must be in",
        ),
    ],
    ids=["classifier-seed", "kmeans-seed", "feature_fns", "ragged", "optim-labels"],
)
def test_messages_name_the_argument(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
