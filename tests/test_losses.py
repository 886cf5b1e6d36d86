"""The loss kernels: tiers agree, match PyTorch and the classic sanity values, pass gradcheck."""

import functools
import threading

import numpy as np
import pytest

import fastlin
from tests.helpers import IMPLS, assert_close, make_problem
from tests.peers import TORCH_LOSSES

LOSSES = {
    "svm": fastlin.svm_loss,
    "squared_hinge": fastlin.squared_hinge_loss,
    "softmax": fastlin.softmax_loss,
    "ovr_svm": functools.partial(fastlin.svm_loss, multi_class="ovr"),
    "ovr_squared_hinge": functools.partial(fastlin.squared_hinge_loss, multi_class="ovr"),
}


@pytest.fixture(params=sorted(LOSSES))
def kind(request):
    return request.param


def all_tiers(kind, W, X, y, **kw):
    return {impl: LOSSES[kind](W, X, y, impl=impl, **kw) for impl in IMPLS}


def assert_tiers_agree(kind, W, X, y, dtype, **kw):
    out = all_tiers(kind, W, X, y, **kw)
    ref_loss, ref_dW = out["naive"]
    for impl, (loss, dW) in out.items():
        assert dW.dtype == W.dtype and dW.shape == W.shape, impl
        assert isinstance(loss, float)
        assert_close(loss, ref_loss, dtype)
        assert_close(dW, ref_dW, dtype)
    return out


@pytest.mark.parametrize(
    "shape",
    [(1, 1, 2), (1, 5, 2), (2, 1, 3), (7, 3, 2), (33, 17, 5), (67, 40, 10), (130, 9, 7)],
    ids=lambda s: "x".join(map(str, s)),
)
def test_tiers_agree_random(kind, dtype, shape):
    W, X, y = make_problem(*shape, dtype=dtype, seed=sum(shape))
    assert_tiers_agree(kind, W, X, y, dtype)


@pytest.mark.parametrize("penalty", ["l2", "l1", "elasticnet"])
def test_tiers_agree_with_regularization_and_weights(kind, dtype, penalty):
    W, X, y = make_problem(45, 12, 6, dtype=dtype, seed=3)
    w = np.random.default_rng(1).uniform(0, 2, 45)
    assert_tiers_agree(kind, W, X, y, dtype, reg=0.3, penalty=penalty, l1_ratio=0.25, sample_weight=w)


def test_sample_weight_is_a_weighted_mean(kind):
    W, X, y = make_problem(20, 6, 4, seed=5)
    w = np.arange(20) % 3  # zeros drop a sample, twos count it twice
    loss, dW = LOSSES[kind](W, X, y, sample_weight=w)
    Xr = np.repeat(X, w, axis=0)
    yr = np.repeat(y, w)
    loss_r, dW_r = LOSSES[kind](W, Xr, yr)
    assert loss == pytest.approx(loss_r, rel=1e-12)
    np.testing.assert_allclose(dW, dW_r, rtol=1e-10, atol=1e-12)


def test_svm_every_margin_inactive(dtype):
    # the correct score beats every other by more than delta: zero loss, zero gradient
    X = np.eye(4, dtype=dtype)
    W = (10 * np.eye(4)).astype(dtype)
    y = np.arange(4)
    for impl, (loss, dW) in all_tiers("svm", W, X, y).items():
        assert loss == 0.0, impl
        assert not dW.any(), impl


def test_svm_margin_exactly_at_the_kink_is_inactive():
    # scores are small integers, so s_j - s_y + 1 is exactly 0 in every tier
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    W = np.array([[2.0, 1.0, 0.0], [0.0, 1.0, 3.0]])
    y = np.array([0, 2])  # row 0: s = (2, 1, 0), margin of class 1 = 1 - 2 + 1 = 0
    for impl, (loss, dW) in all_tiers("svm", W, X, y).items():
        # row 1: s = (0, 1, 3), margins -2 and -1: inactive; so nothing is active at all
        assert loss == 0.0, impl
        assert not dW.any(), impl
    # a hair past the kink, the margin becomes active in every tier
    W2 = W.copy()
    W2[0, 1] += 1e-6
    for impl, (loss, _) in all_tiers("svm", W2, X, y).items():
        assert loss == pytest.approx(0.5e-6, rel=1e-6), impl


def test_softmax_large_scores_do_not_overflow(dtype):
    W, X, y = make_problem(40, 8, 5, dtype=dtype, seed=2)
    W = W * (1e3 / np.abs(X @ W).max())  # scores around 1e3: exp would overflow unshifted
    out = assert_tiers_agree("softmax", W, X, y, dtype)
    assert np.isfinite(out["jit"][0]) and np.isfinite(out["jit"][1]).all()


def test_non_contiguous_and_read_only_inputs(kind, dtype):
    W, X, y = make_problem(30, 14, 4, dtype=dtype, seed=9)
    Xf = np.asfortranarray(X)
    Xs = np.repeat(X, 2, axis=1)[:, ::2]  # a strided view
    Xro = X.copy()
    Xro.flags.writeable = False
    yro = y.copy()
    yro.flags.writeable = False
    ref = LOSSES[kind](W, X, y, impl="naive")
    for Xv in (Xf, Xs, Xro):
        for impl in IMPLS:
            loss, dW = LOSSES[kind](W, Xv, yro, impl=impl)
            assert_close(loss, ref[0], dtype)
            assert_close(dW, ref[1], dtype)


def test_float32_stays_float32(kind):
    W, X, y = make_problem(20, 5, 3, dtype=np.float32)
    _, dW = LOSSES[kind](W, X, y)
    assert dW.dtype == np.float32
    # float64 W with float32 X: computed in float32, returned as W's dtype
    _, dW64 = LOSSES[kind](W.astype(np.float64), X, y)
    assert dW64.dtype == np.float64


def test_integer_X_is_accepted_as_float64(kind):
    W, X, y = make_problem(10, 4, 3)
    Xi = np.rint(X * 10).astype(np.int16)
    a = LOSSES[kind](W, Xi, y)
    b = LOSSES[kind](W, Xi.astype(np.float64), y)
    assert a[0] == b[0]


@pytest.mark.parametrize("n_threads", [1, 2])
def test_thread_count_does_not_change_the_result(kind, n_threads):
    W, X, y = make_problem(700, 30, 10, seed=4)
    ref = LOSSES[kind](W, X, y, n_threads=1)
    loss, dW = LOSSES[kind](W, X, y, n_threads=n_threads)
    assert loss == ref[0]
    np.testing.assert_array_equal(dW, ref[1])


def test_two_python_threads_at_once(kind):
    W, X, y = make_problem(2000, 64, 10, seed=6, dtype=np.float32)
    ref = LOSSES[kind](W, X, y, impl="vectorized")
    results, errors = [], []

    def work():
        try:
            for _ in range(20):
                results.append(LOSSES[kind](W, X, y))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results) == 40
    for loss, dW in results:
        assert_close(loss, ref[0], np.float32)
        assert_close(dW, ref[1], np.float32)


def test_classic_sanity_values(kind):
    # CS231n: tiny random W on CIFAR-sized rows gives about C - 1 (SVM) and -log(1/C) (softmax);
    # one versus the rest, every class's margin is about 1: about C
    rng = np.random.default_rng(0)
    X = rng.uniform(-128, 128, (500, 3073)).astype(np.float32)
    X[:, -1] = 1.0
    # squared margins add each score's variance (0.17 at 1e-4): tinier weights for those
    scale = 1e-6 if "squared" in kind else 1e-4
    W = (scale * rng.standard_normal((3073, 10))).astype(np.float32)
    y = rng.integers(0, 10, 500)
    loss, _ = LOSSES[kind](W, X, y)
    expected = {"softmax": -np.log(0.1), "ovr_svm": 10.0, "ovr_squared_hinge": 10.0}.get(kind, 9.0)
    assert loss == pytest.approx(expected, rel=0.05)


def test_gradient_check(kind):
    # float64, a random point: no margin sits within h of its kink
    W, X, y = make_problem(25, 7, 4, seed=11, scale=0.3)
    reg = 0.05
    loss_fn = LOSSES[kind]
    _, dW = loss_fn(W, X, y, reg)
    errors = fastlin.grad_check_sparse(lambda w: loss_fn(w, X, y, reg)[0], W, dW, num_checks=15, seed=0)
    assert errors.max() < 1e-7
    num = fastlin.numerical_gradient(lambda w: loss_fn(w, X, y, reg)[0], W)
    assert fastlin.rel_error(num, dW) < 1e-7


@pytest.mark.skipif(TORCH_LOSSES["svm"] is None, reason="PyTorch is not installed")
@pytest.mark.parametrize("shape", [(1, 3, 2), (64, 20, 10), (300, 50, 7)], ids=str)
def test_matches_pytorch(kind, dtype, shape):
    W, X, y = make_problem(*shape, dtype=dtype, seed=7)
    ref_loss, ref_dW = TORCH_LOSSES[kind](W, X, y)
    for impl in IMPLS:
        loss, dW = LOSSES[kind](W, X, y, impl=impl)
        assert_close(loss, ref_loss, dtype)
        assert_close(dW, ref_dW, dtype)


def test_regularization_is_added(kind):
    W, X, y = make_problem(10, 4, 3)
    base, dbase = LOSSES[kind](W, X, y)
    value, grad = fastlin.regularization(W, 0.7, "elasticnet", l1_ratio=0.3)
    loss, dW = LOSSES[kind](W, X, y, 0.7, penalty="elasticnet", l1_ratio=0.3)
    assert loss == pytest.approx(base + value, rel=1e-12)
    np.testing.assert_allclose(dW, dbase + grad, rtol=1e-12)


def test_X_is_not_copied_or_upcast(kind):
    import tracemalloc

    W, X, y = make_problem(20000, 200, 10, dtype=np.float32, seed=8)
    LOSSES[kind](W, X, y)  # compile outside the measurement
    tracemalloc.start()
    LOSSES[kind](W, X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < X.nbytes / 4  # NumPy allocations only: no copy of X (16 MB), no float64 X


@pytest.mark.parametrize("kind", ["ovr_svm", "ovr_squared_hinge"])
@pytest.mark.parametrize("C", [2, 7, 40], ids=lambda c: f"C{c}")  # 40: the jit tier's GEMM path
def test_one_versus_rest_is_one_binary_svm_per_class(kind, dtype, C):
    # class c's loss is the binary (squared) hinge of labels +1 for class c, -1 otherwise,
    # on column c of the scores alone: the sum over classes of C independent binary SVMs
    W, X, y = make_problem(90, 13, C, dtype=dtype, seed=C)
    out = assert_tiers_agree(kind, W, X, y, dtype, delta=0.7, reg=0.2)
    squared = kind == "ovr_squared_hinge"
    total, dW = 0.2 * float(np.sum(W.astype(np.float64) ** 2)), 0.4 * W.astype(np.float64)
    for c in range(C):
        t = np.where(y == c, 1.0, -1.0)
        margin = np.maximum(0.0, 0.7 - t * (X.astype(np.float64) @ W[:, c].astype(np.float64)))
        total += np.mean(margin**2 if squared else margin)
        dW[:, c] += X.T.astype(np.float64) @ (-t * (2 * margin if squared else margin > 0)) / len(y)
    assert_close(out["jit"][0], total, dtype)
    assert_close(out["jit"][1], dW, dtype)


def test_one_versus_rest_margin_exactly_at_the_kink_is_inactive():
    # integer scores: delta - t * s is exactly 0 for the correct class scoring 1, another scoring -1
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    W = np.array([[1.0, -1.0, -2.0], [-3.0, -1.0, 1.0]])
    y = np.array([0, 2])
    for impl in IMPLS:
        loss, dW = fastlin.squared_hinge_loss(W, X, y, multi_class="ovr", impl=impl)
        assert loss == 0.0 and not dW.any(), impl


def test_multi_class_is_checked():
    W, X, y = make_problem(5, 3, 2)
    with pytest.raises(ValueError, match="multi_class"):
        fastlin.svm_loss(W, X, y, multi_class="crammer_singer")
