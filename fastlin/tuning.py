"""The hyperparameter search students write by hand: trials on a train/validation split.

CS231n's notebooks loop over learning rates and regularization strengths, train a model
for each, and keep the one of best validation accuracy. :func:`tune` is that loop, as a
grid or a random search, with scikit-learn's names for what it returns. (fastlin's
estimators also work with scikit-learn's ``GridSearchCV`` / ``RandomizedSearchCV``, which
cross-validate instead of using one validation split.)
"""

from __future__ import annotations

import concurrent.futures
import itertools
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from fastlin._validation import check_int, check_random_state

#: the most trials one search may ask for (a typo, not a search, beyond it)
MAX_TRIALS = 100_000


def _is_distribution(value: object) -> bool:
    return callable(getattr(value, "rvs", None))


def _check_space(params: object) -> dict:
    """``params`` as {name: list of values or a distribution}, or a clear error naming the entry."""
    if not isinstance(params, Mapping) or not params:
        raise ValueError("params must be a non-empty dict {parameter: list of values or a distribution}")
    space = {}
    for name, values in params.items():
        if not isinstance(name, str):
            raise TypeError(f"params keys must be parameter names (str), got {name!r}")
        if _is_distribution(values):
            space[name] = values
        elif isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise TypeError(
                f"params[{name!r}] must be a list of values or a distribution with .rvs() "
                f"(e.g. scipy.stats.loguniform(1e-5, 1e-1)), got {type(values).__name__}"
            )
        else:
            values = list(values)
            if not values:
                raise ValueError(f"params[{name!r}] is an empty list: give at least one value")
            space[name] = values
    return space


def _draw(dist, name: str, rng: np.random.Generator):
    try:
        value = dist.rvs(random_state=rng)
    except Exception as e:  # a distribution that cannot be sampled: say which
        raise ValueError(f"params[{name!r}] could not be sampled: {type(e).__name__}: {e}") from None
    value = value.item() if isinstance(value, np.ndarray) and value.size == 1 else value
    if isinstance(value, np.generic):
        value = value.item()
    return value


def _trials(space: dict, n_iter: int | None, rng: np.random.Generator) -> list[dict]:
    """The parameter sets to try: the whole grid, ``n_iter`` of its points, or ``n_iter`` draws."""
    names = list(space)
    random = any(_is_distribution(v) for v in space.values())
    if random and n_iter is None:
        raise ValueError("a distribution in params needs n_iter: the number of random trials")
    if not random:
        size = int(np.prod([len(v) for v in space.values()], dtype=np.float64))
        if n_iter is None or n_iter >= size:
            if size > MAX_TRIALS:
                raise ValueError(f"the grid has {size} points, more than {MAX_TRIALS}: sample it with n_iter")
            return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*space.values())]
        picks = rng.choice(size, size=n_iter, replace=False)
        shape = [len(v) for v in space.values()]
        return [
            {name: space[name][i] for name, i in zip(names, np.unravel_index(p, shape), strict=True)} for p in picks
        ]
    trials = []
    for _ in range(n_iter):
        trial = {}
        for name in names:
            values = space[name]
            trial[name] = _draw(values, name, rng) if _is_distribution(values) else values[rng.integers(len(values))]
        trials.append(trial)
    return trials


def _clone(estimator, params: dict):
    """A new, unfitted estimator with ``estimator``'s parameters and then ``params``."""
    fresh = type(estimator)(**estimator.get_params(deep=False))
    return fresh.set_params(**params)


@dataclass
class TuneResult:
    """What :func:`tune` found, with scikit-learn's names.

    Attributes
    ----------
    best_params_ : dict
        The parameters of the trial with the best validation score (the first on ties).
    best_estimator_ : estimator
        That trial's model, fitted on the training split.
    best_score_ : float
        Its validation score (``estimator.score``: accuracy for fastlin's classifiers).
    cv_results_ : dict
        One entry per trial, in the order they ran: ``params`` (list of dicts),
        ``param_<name>`` (array of each parameter's values), ``mean_test_score`` (the
        validation score), ``mean_train_score``, ``mean_fit_time`` (seconds) and
        ``rank_test_score`` (1 is the best).
    """

    best_params_: dict
    best_estimator_: object
    best_score_: float
    cv_results_: dict = field(repr=False)


def tune(
    estimator,
    X_train: ArrayLike,
    y_train: ArrayLike,
    X_val: ArrayLike,
    y_val: ArrayLike,
    *,
    params: Mapping,
    n_iter: int | None = None,
    random_state: int | np.random.Generator | None = None,
    n_jobs: int = 1,
) -> TuneResult:
    """Train a copy of ``estimator`` per parameter set and keep the best on the validation split.

    Parameters
    ----------
    estimator : fastlin or scikit-learn estimator
        Cloned for every trial (it is never fitted itself); needs ``fit`` and ``score``.
    X_train, y_train : array_like
        The training split: every trial fits on it.
    X_val, y_val : array_like
        The validation split: every trial is scored on it.
    params : dict
        Each parameter to search, with a list of values (a grid) or a distribution with an
        ``rvs(random_state=...)`` method, such as ``scipy.stats.loguniform(1e-5, 1e-1)``
        (a random search).
    n_iter : int, optional
        The number of trials. None: the whole grid (lists only). With a distribution it is
        required; with lists only, that many grid points are drawn without replacement.
    random_state : int or numpy.random.Generator, optional
        Seeds the drawing of the trials: the same seed tries the same parameters.
    n_jobs : int, default 1
        Trials trained at once, on threads (fastlin's kernels release the GIL). Each then
        runs its kernels on ``cores // n_jobs`` threads unless the estimator sets
        ``n_threads``; the scores do not depend on it. Small trials gain most: 8 softmax
        trials of 500 steps on 19,000 CIFAR-10 images took 1.95 s with ``n_jobs=2`` against
        2.82 s one after the other (2 cores).

    Returns
    -------
    TuneResult
        ``best_params_``, ``best_estimator_``, ``best_score_`` and ``cv_results_``.

    Examples
    --------
    >>> from scipy.stats import loguniform
    >>> search = fastlin.tune(fastlin.SoftmaxClassifier(num_iters=500), X, y, X_val, y_val,
    ...                       params={"learning_rate": loguniform(1e-4, 1e-1), "reg": [1e-4, 1e-2]},
    ...                       n_iter=16, random_state=0)
    >>> search.best_params_, search.best_score_
    """
    if not (callable(getattr(estimator, "fit", None)) and callable(getattr(estimator, "score", None))):
        raise TypeError(f"estimator must have fit and score methods, got {type(estimator).__name__}")
    if not callable(getattr(estimator, "get_params", None)):
        raise TypeError(f"estimator must have get_params/set_params (scikit-learn's API): {type(estimator).__name__}")
    space = _check_space(params)
    if n_iter is not None:
        n_iter = check_int("n_iter", n_iter, low=1, high=MAX_TRIALS)
    n_jobs = check_int("n_jobs", n_jobs, low=1)
    rng = check_random_state("random_state", random_state)
    trials = _trials(space, n_iter, rng)
    own = estimator.get_params(deep=False)
    unknown = sorted(set(space) - set(own))
    if unknown:
        raise ValueError(f"params names {unknown}, which {type(estimator).__name__} does not have")
    shared = {}
    if n_jobs > 1 and own.get("n_threads", "") is None:
        from fastlin._config import max_threads

        shared["n_threads"] = max(1, max_threads() // n_jobs)  # trials at once share the cores

    def run(trial: dict) -> tuple:
        model = _clone(estimator, {**shared, **trial})
        t = time.perf_counter()
        model.fit(X_train, y_train)
        elapsed = time.perf_counter() - t
        return model, elapsed, float(model.score(X_val, y_val)), float(model.score(X_train, y_train))

    if n_jobs == 1:
        done = map(run, trials)
    else:
        pool = concurrent.futures.ThreadPoolExecutor(min(n_jobs, len(trials)))
        done = pool.map(run, trials)
    val_scores, train_scores, times = [], [], []
    best, best_model = -1, None
    try:
        for k, (model, elapsed, val, train) in enumerate(done):
            times.append(elapsed)
            val_scores.append(val)
            train_scores.append(train)
            if best < 0 or val > val_scores[best]:
                best, best_model = k, model  # only the best model is kept: the others may be large
    finally:
        if n_jobs > 1:
            pool.shutdown(cancel_futures=True)
    order = np.argsort(-np.asarray(val_scores), kind="stable")
    rank = np.empty(len(trials), dtype=int)
    rank[order] = np.arange(1, len(trials) + 1)
    results = {
        "params": trials,
        **{f"param_{name}": np.array([t[name] for t in trials], dtype=object) for name in space},
        "mean_test_score": np.array(val_scores),
        "mean_train_score": np.array(train_scores),
        "mean_fit_time": np.array(times),
        "rank_test_score": rank,
    }
    if shared:
        best_model.set_params(n_threads=None)  # the estimator's own setting, for later use
    return TuneResult(dict(trials[best]), best_model, val_scores[best], results)
