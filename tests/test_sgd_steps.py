"""The jit tier's compiled SGD steps (``fastlin.jit.sgd_steps``) against the Python loop they replace."""

import numpy as np
import pytest

from fastlin import optim

KINDS = ("svm", "softmax", "ovr_squared_hinge")
RAN: list = []  # one entry per fit that went through the compiled loop


def _run(monkeypatch, compiled, X, y, *, num_iters=250, momentum=0.0, sample_weight=None, schedule="constant",
         learning_rate=1e-3, kind="softmax", fit_intercept=True, W0=None):  # fmt: skip
    if not compiled:
        monkeypatch.setattr(optim, "_compiled_steps_apply", lambda *a: False)
    else:  # make sure the compiled loop is what runs
        real = optim._compiled_steps
        monkeypatch.setattr(optim, "_compiled_steps", lambda *a: RAN.append(1) or real(*a))
    C = 7
    dtype = np.float32 if X.dtype == np.float16 else X.dtype
    W0 = np.random.default_rng(1).normal(0, 1e-2, (X.shape[1], C)).astype(dtype) if W0 is None else W0
    state = optim.new_state(W0, np.zeros(C, dtype))
    try:
        history = optim.sgd(
            kind, X, y, state, num_iters=num_iters, schedule=schedule, learning_rate=learning_rate,
            batch_size=64, reg=1e-3, momentum=momentum, fit_intercept=fit_intercept,
            sample_weight=sample_weight, rng=np.random.default_rng(5),
        )  # fmt: skip
    finally:
        monkeypatch.undo()
    return history, state


def _data(dtype=np.float32, n=1000, d=40):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, d)).astype(dtype), rng.integers(0, 7, n)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_compiled_steps_equal_the_python_loop_bit_for_bit(monkeypatch, kind, dtype, momentum):
    X, y = _data(dtype)
    # 250 steps of 64 out of 1000 rows: 16 epochs, segments of 100 and a partial one
    h_py, s_py = _run(monkeypatch, False, X, y, kind=kind, momentum=momentum)
    RAN.clear()
    h_jit, s_jit = _run(monkeypatch, True, X, y, kind=kind, momentum=momentum)
    assert RAN
    np.testing.assert_array_equal(h_jit, h_py)
    np.testing.assert_array_equal(s_jit.W, s_py.W)
    np.testing.assert_array_equal(s_jit.b, s_py.b)
    np.testing.assert_array_equal(s_jit.velocity_W, s_py.velocity_W)
    assert s_jit.step == s_py.step == 250


def test_compiled_steps_with_sample_weights_a_schedule_and_no_intercept(monkeypatch):
    X, y = _data()
    sw = np.random.default_rng(3).uniform(0, 2, len(X))
    sw[:10] = 0.0
    runs = [
        _run(monkeypatch, compiled, X, y, sample_weight=sw, schedule=lambda t: 1e-3 / (1 + t / 50), fit_intercept=False)
        for compiled in (False, True)
    ]
    np.testing.assert_array_equal(runs[1][0], runs[0][0])
    np.testing.assert_array_equal(runs[1][1].W, runs[0][1].W)
    assert (runs[1][1].b == 0).all()


def test_compiled_steps_stop_where_the_loss_overflows_with_the_same_error(monkeypatch):
    X, y = _data(np.float32)
    errors = []
    for compiled in (False, True):
        with pytest.raises(FloatingPointError) as info:
            _run(monkeypatch, compiled, X * 1e18, y, kind="squared_hinge", learning_rate=1e12, num_iters=300)
        errors.append(info.value)
    assert str(errors[1]) == str(errors[0]) and "SGD diverged" in str(errors[1])
    np.testing.assert_array_equal(errors[1].loss_history, errors[0].loss_history)


def test_compiled_steps_leave_a_refused_rate_to_the_python_loop(monkeypatch):
    X, y = _data()

    def schedule(step):
        return 1e-3 if step < 137 else float("nan")

    messages = []
    for compiled in (False, True):
        with pytest.raises(FloatingPointError, match="at step 137") as info:
            _run(monkeypatch, compiled, X, y, schedule=schedule)
        messages.append((str(info.value), len(info.value.loss_history)))
    assert messages[1] == messages[0] and messages[0][1] == 137


def test_compiled_steps_take_a_rate_past_float32_as_the_python_loop_does(monkeypatch):
    X, y = _data()
    errors = []
    for compiled in (False, True):
        with pytest.raises(FloatingPointError) as info:
            _run(monkeypatch, compiled, X, y, learning_rate=1e50)
        errors.append((str(info.value), len(info.value.loss_history)))
    assert errors[1] == errors[0]
