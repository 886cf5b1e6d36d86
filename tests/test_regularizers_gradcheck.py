import numpy as np
import pytest

import fastlin


@pytest.mark.parametrize("penalty", ["l2", "l1", "elasticnet"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_regularization_values(penalty, dtype):
    W = np.array([[1.0, -2.0], [0.0, 0.5]], dtype=dtype)
    value, grad = fastlin.regularization(W, 0.1, penalty, l1_ratio=0.25)
    l2, l1 = 1 + 4 + 0.25, 1 + 2 + 0.5
    expected = {"l2": 0.1 * l2, "l1": 0.1 * l1, "elasticnet": 0.1 * (0.25 * l1 + 0.75 * l2)}[penalty]
    assert value == pytest.approx(expected, rel=1e-6)
    assert grad.dtype == dtype
    dl2, dl1 = 2 * W, np.sign(W)
    expected_grad = {"l2": dl2, "l1": dl1, "elasticnet": 0.25 * dl1 + 0.75 * dl2}[penalty] * 0.1
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-6)
    assert grad[1, 0] == 0.0 or penalty == "l2"  # the L1 subgradient at 0 is 0


def test_regularization_matches_numerical_gradient_away_from_zero():
    W = np.random.default_rng(0).uniform(0.1, 1.0, (3, 4)) * np.array([1, -1, 1, -1])
    value, grad = fastlin.regularization(W, 0.3, "elasticnet", 0.6)
    num = fastlin.numerical_gradient(lambda w: fastlin.regularization(w, 0.3, "elasticnet", 0.6)[0], W)
    assert fastlin.rel_error(num, grad) < 1e-8


def test_numerical_gradient_of_a_known_function():
    x = np.array([[1.0, 2.0], [-3.0, 0.5]])
    num = fastlin.numerical_gradient(lambda v: float(np.sum(v**3)), x)
    np.testing.assert_allclose(num, 3 * x**2, rtol=1e-8)


def test_numerical_gradient_leaves_x_alone():
    x = np.array([1.0, 2.0])
    fastlin.numerical_gradient(lambda v: float(v @ v), x)
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_grad_check_sparse_detects_a_wrong_gradient():
    x = np.random.default_rng(1).standard_normal((5, 5))
    f = lambda v: float(np.sum(np.sin(v)))  # noqa: E731
    good = fastlin.grad_check_sparse(f, x, np.cos(x), num_checks=8, seed=0)
    bad = fastlin.grad_check_sparse(f, x, np.cos(x) + 0.1, num_checks=8, seed=0)
    assert good.shape == (8,) and good.max() < 1e-8
    assert bad.min() > 1e-3
    again = fastlin.grad_check_sparse(f, x, np.cos(x), num_checks=8, seed=0)
    np.testing.assert_array_equal(good, again)


def test_rel_error():
    assert fastlin.rel_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert fastlin.rel_error([1.0], [3.0]) == pytest.approx(0.5)
    assert fastlin.rel_error([0.0], [0.0]) == 0.0


def test_gradcheck_bad_input():
    with pytest.raises(TypeError, match="f must be callable"):
        fastlin.numerical_gradient(3, np.ones(2))
    with pytest.raises(TypeError, match="x must be a float32 or float64 array"):
        fastlin.numerical_gradient(np.sum, np.ones(2, dtype=int))
    with pytest.raises(ValueError, match="h must be > 0"):
        fastlin.numerical_gradient(np.sum, np.ones(2), h=0)
    with pytest.raises(ValueError, match="analytic_grad has shape"):
        fastlin.grad_check_sparse(np.sum, np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match="num_checks must be >= 1"):
        fastlin.grad_check_sparse(np.sum, np.ones(2), np.ones(2), num_checks=0)
    with pytest.raises(ValueError, match="must match"):
        fastlin.rel_error(np.ones(2), np.ones(3))
