"""fastlin.tune: the train/validation search of CS231n's notebooks, and fastlin train --tune."""

import numpy as np
import pytest
from scipy.stats import loguniform, uniform

import fastlin
from fastlin import cli
from fastlin.datasets import load_digits


@pytest.fixture(scope="module")
def splits():
    X, y = load_digits()
    X = X.reshape(len(X), -1) / 16.0
    return X[:1000], y[:1000], X[1000:1400], y[1000:1400]


def model():
    return fastlin.SoftmaxClassifier(num_iters=60, random_state=0)


def test_a_grid_tries_every_point_and_keeps_the_best(splits):
    grid = {"learning_rate": [1e-4, 1e-2, 1e-1], "reg": [0.0, 1e-2]}
    search = fastlin.tune(model(), *splits, params=grid)
    results = search.cv_results_
    assert [tuple(p.values()) for p in results["params"]] == [
        (a, b) for a in grid["learning_rate"] for b in grid["reg"]
    ]
    scores = results["mean_test_score"]
    best = int(np.argmax(scores))
    assert search.best_params_ == results["params"][best] and search.best_score_ == scores[best]
    assert results["rank_test_score"][best] == 1 and sorted(results["rank_test_score"]) == list(range(1, 7))
    assert (results["mean_fit_time"] > 0).all() and results["param_reg"].tolist() == [0.0, 1e-2] * 3
    # the best model is fitted on the training split and scores what the table says
    assert search.best_estimator_.score(splits[2], splits[3]) == search.best_score_
    assert search.best_estimator_.learning_rate == search.best_params_["learning_rate"]
    # the tiny rate learns next to nothing in 60 steps: the search must not pick it
    assert search.best_params_["learning_rate"] != 1e-4


def test_a_random_search_is_reproducible_with_a_seed(splits):
    space = {"learning_rate": loguniform(1e-4, 1e-1), "reg": uniform(0, 1e-2), "batch_size": [50, 100]}
    a = fastlin.tune(model(), *splits, params=space, n_iter=4, random_state=3)
    b = fastlin.tune(model(), *splits, params=space, n_iter=4, random_state=3)
    c = fastlin.tune(model(), *splits, params=space, n_iter=4, random_state=4)
    assert a.cv_results_["params"] == b.cv_results_["params"] != c.cv_results_["params"]
    np.testing.assert_array_equal(a.cv_results_["mean_test_score"], b.cv_results_["mean_test_score"])
    rates = a.cv_results_["param_learning_rate"].astype(float)
    assert ((rates >= 1e-4) & (rates <= 1e-1)).all() and len(set(rates)) == 4
    assert all(type(p["learning_rate"]) is float for p in a.cv_results_["params"])


def test_trials_at_once_give_the_same_search(splits):
    space = {"learning_rate": loguniform(1e-4, 1e-1), "reg": [0.0, 1e-3]}
    one = fastlin.tune(model(), *splits, params=space, n_iter=5, random_state=0)
    two = fastlin.tune(model(), *splits, params=space, n_iter=5, random_state=0, n_jobs=2)
    assert one.cv_results_["params"] == two.cv_results_["params"] and one.best_params_ == two.best_params_
    np.testing.assert_array_equal(one.cv_results_["mean_test_score"], two.cv_results_["mean_test_score"])
    np.testing.assert_array_equal(one.best_estimator_.coef_, two.best_estimator_.coef_)
    assert two.best_estimator_.n_threads is None
    with pytest.raises(ValueError, match="n_jobs must be >= 1"):
        fastlin.tune(model(), *splits, params=space, n_iter=2, n_jobs=0)


def test_n_iter_samples_a_grid_without_repeats(splits):
    search = fastlin.tune(model(), *splits, params={"learning_rate": [1e-3, 1e-2, 1e-1], "reg": [0, 1e-3]}, n_iter=4,
                          random_state=0)  # fmt: skip
    points = [tuple(p.values()) for p in search.cv_results_["params"]]
    assert len(points) == 4 == len(set(points))


@pytest.mark.parametrize(
    "params, n_iter, exc, match",
    [
        ({}, None, ValueError, "non-empty dict"),
        ([("reg", [1])], None, ValueError, "non-empty dict"),
        ({"reg": []}, None, ValueError, "params\\['reg'\\] is an empty list"),
        ({"reg": 0.1}, None, TypeError, "params\\['reg'\\] must be a list of values or a distribution"),
        ({"reg": "0.1"}, None, TypeError, "params\\['reg'\\] must be a list"),
        ({"reg": loguniform(1e-3, 1)}, None, ValueError, "needs n_iter"),
        ({"reg": [1e-3]}, 0, ValueError, "n_iter must be >= 1"),
        ({"nosuch": [1, 2]}, None, ValueError, "nosuch"),
        ({1: [1, 2]}, None, TypeError, "parameter names"),
    ],
)
def test_bad_searches_are_refused_before_any_training(splits, params, n_iter, exc, match):
    with pytest.raises(exc, match=match):
        fastlin.tune(model(), *splits, params=params, n_iter=n_iter)


def test_a_distribution_that_cannot_be_sampled_names_the_parameter(splits):
    class Broken:
        def rvs(self, random_state=None):
            raise RuntimeError("no")

    with pytest.raises(ValueError, match="params\\['reg'\\] could not be sampled"):
        fastlin.tune(model(), *splits, params={"reg": Broken()}, n_iter=2)


def test_the_estimator_is_left_unfitted(splits):
    est = model()
    fastlin.tune(est, *splits, params={"reg": [0.0, 1e-3]})
    assert not hasattr(est, "coef_")
    with pytest.raises(TypeError, match="fit and score"):
        fastlin.tune(object(), *splits, params={"reg": [0.0]})


def test_fastlin_train_tune_prints_the_trials_and_tests_the_best(capsys):
    assert cli.main(["train", "--tune", "5", "--iters", "60", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    table = [line for line in out.splitlines() if line.startswith("trial ")]
    assert len(table) == 5 and "best" in out and "accuracy  train" in out
    assert cli.main(["train", "--tune", "5", "--iters", "60", "--seed", "1"]) == 0
    again = [line for line in capsys.readouterr().out.splitlines() if line.startswith("trial ")]
    untimed = [line.split("  time")[0] for line in table]
    assert [line.split("  time")[0] for line in again] == untimed  # the same trials, the same scores


def test_fastlin_train_tune_plot_draws_the_search(tmp_path, capsys):
    plot = tmp_path / "search.png"
    assert cli.main(["train", "--tune", "4", "--iters", "40", "--plot", str(plot)]) == 0
    assert "search" in capsys.readouterr().out and plot.stat().st_size > 10_000


def test_fastlin_train_warns_when_the_loss_climbs(capsys):
    assert cli.main(["train", "--lr", "100", "--iters", "150"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "the learning rate is likely too high" in err[0] and "--lr" in err[0]
    assert cli.main(["train", "--iters", "150"]) == 0
    assert capsys.readouterr().err == ""  # the default rate: the loss falls


def test_a_diverging_sgd_keeps_its_losses_on_the_error():
    from fastlin import optim

    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 20))
    y = rng.integers(0, 3, 200)
    state = optim.new_state(rng.standard_normal((20, 3)), np.zeros(3))
    with pytest.raises(FloatingPointError, match="diverged") as info:  # W *= (1 - 2 lr reg) = -19 each step
        optim.sgd("softmax", X, y, state, num_iters=5000, schedule="constant", learning_rate=10.0, reg=1.0,
                  batch_size=50)  # fmt: skip
    history = info.value.loss_history
    assert 1 <= len(history) < 5000 and np.isfinite(history).all()
    assert history[-1] > history[0]  # shown as what it is: a climbing loss
