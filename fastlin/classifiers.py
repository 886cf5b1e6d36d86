"""Linear classifiers trained by mini-batch SGD on fastlin's loss kernels.

They follow scikit-learn's estimator conventions (``get_params``/``set_params``, ``clone``,
``Pipeline``, ``cross_val_score``); scikit-learn itself is optional: when it is installed
they are genuine scikit-learn estimators, and otherwise small stand-ins provide the same
methods.
"""

from __future__ import annotations

import inspect
import math
import warnings

import numpy as np
from numpy.typing import ArrayLike

from fastlin._sklearn import BaseEstimator, ClassifierMixin, DataConversionWarning, NotFittedError
from fastlin._stats import block_rows
from fastlin._validation import (
    PENALTIES,
    as_array,
    as_features,
    check_bool,
    check_choice,
    check_impl,
    check_int,
    check_n_threads,
    check_random_state,
    check_sample_weight,
    check_scalar,
    compute_dtype,
)
from fastlin.full_batch import _lbfgs
from fastlin.losses import hinge_kind
from fastlin.optim import MAX_ITERS, SCHEDULES, _sgd, make_schedule, new_state

#: the losses of :class:`LinearSVM`
LOSSES = ("hinge", "squared_hinge")
#: rows of float16 features widened to float32 at a time to score them
SCORE_ROWS = 4096


class _LinearClassifier(ClassifierMixin, BaseEstimator):
    _kind = "softmax"

    def _loss_kind(self) -> str:
        """The loss kernel's ``kind``."""
        return self._kind

    def _check_params(self) -> dict:
        """Every hyper-parameter checked; returns them as the optimizer takes them."""
        check_impl(self.impl)
        self._loss_kind()
        for name in ("num_iters", "polish_iters"):
            if check_int(name, getattr(self, name), low=0) > MAX_ITERS:
                raise ValueError(f"{name} must be <= {MAX_ITERS}, got {getattr(self, name)}")
        batch_size = None if self.batch_size is None else check_int("batch_size", self.batch_size, low=1)
        if not callable(self.schedule):
            check_choice("schedule", self.schedule, SCHEDULES)
        return dict(
            reg=check_scalar("reg", self.reg, low=0.0),
            penalty=check_choice("penalty", self.penalty, PENALTIES),
            l1_ratio=check_scalar("l1_ratio", self.l1_ratio, low=0.0, high=1.0),
            delta=check_scalar("delta", getattr(self, "delta", 1.0), low=0.0),
            learning_rate=check_scalar("learning_rate", self.learning_rate, low=0.0, low_open=True),
            num_iters=check_int("num_iters", self.num_iters, low=1),
            polish_iters=check_int("polish_iters", self.polish_iters, low=0),
            momentum=check_scalar("momentum", self.momentum, low=0.0, high=1.0),
            batch_size=batch_size,
            fit_intercept=check_bool("fit_intercept", self.fit_intercept),
            verbose=check_bool("verbose", self.verbose),
            n_threads=check_n_threads(self.n_threads),
        )

    def _labels(self, y: ArrayLike, n_samples: int, classes: ArrayLike | None = None) -> np.ndarray:
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None")
        y = as_array("y", y)
        if y.ndim == 2 and y.shape[1] == 1:
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected; it is raveled.",
                DataConversionWarning,
                stacklevel=3,
            )
            y = y.ravel()
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D, got shape {y.shape}")
        if y.shape[0] != n_samples:
            raise ValueError(f"X has {n_samples} samples but y has {y.shape[0]}; they must match")
        if y.dtype.kind == "f":
            if not np.isfinite(y).all():
                raise ValueError("y contains NaN or inf")
            if (y != np.round(y)).any():
                raise ValueError("Unknown label type: continuous. A classifier needs class labels, not real values")
        if classes is not None:
            self.classes_ = np.unique(np.asarray(classes))
        elif not hasattr(self, "classes_") or not hasattr(self, "coef_"):
            self.classes_ = np.unique(y)
        if self.classes_.shape[0] < 2:
            raise ValueError(f"{type(self).__name__} needs at least 2 classes in y, got 1 class: {self.classes_[0]!r}")
        idx = np.searchsorted(self.classes_, y)
        idx = np.clip(idx, 0, len(self.classes_) - 1)
        if not np.array_equal(self.classes_[idx], y):
            raise ValueError("y has labels that are not in classes_ (pass every class to the first partial_fit)")
        return np.ascontiguousarray(idx, dtype=np.intp)

    def _init_state(self, n_features: int, dtype, rng) -> None:
        C = len(self.classes_)
        W = (1e-3 * rng.standard_normal((n_features, C))).astype(dtype)  # CS231n's init
        self._state = new_state(W, np.zeros(C, dtype=dtype))
        self.loss_history_ = np.empty(0)
        self.n_features_in_ = n_features

    def _train(self, X, y_idx, sample_weight, num_iters, params, rng) -> None:
        schedule = make_schedule(self.schedule, params["learning_rate"], params["num_iters"])
        history = _sgd(
            self._loss_kind(),
            X,
            y_idx,
            self._state,
            num_iters=num_iters,
            schedule=schedule,
            batch_size=params["batch_size"],
            reg=params["reg"],
            penalty=params["penalty"],
            l1_ratio=params["l1_ratio"],
            delta=params["delta"],
            momentum=params["momentum"],
            fit_intercept=params["fit_intercept"],
            sample_weight=sample_weight,
            rng=rng,
            impl=self.impl,
            n_threads=params["n_threads"],
            verbose=params["verbose"],
        )
        self.loss_history_ = np.concatenate([self.loss_history_, history])
        self.coef_ = self._state.W
        self.intercept_ = self._state.b

    def _polish(self, X, y_idx, sample_weight, params) -> None:
        """``polish_iters`` L-BFGS iterations on the full-batch loss from the SGD solution."""
        history = _lbfgs(
            self._loss_kind(),
            X,
            y_idx,
            self._state,
            max_iter=params["polish_iters"],
            reg=params["reg"],
            penalty=params["penalty"],
            l1_ratio=params["l1_ratio"],
            delta=params["delta"],
            fit_intercept=params["fit_intercept"],
            sample_weight=sample_weight,
            impl=self.impl,
            n_threads=params["n_threads"],
            verbose=params["verbose"],
        )
        self.loss_history_ = np.concatenate([self.loss_history_, history])
        self.n_polish_iter_ = len(history)
        self.coef_ = self._state.W
        self.intercept_ = self._state.b

    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None):
        """Train from scratch: ``num_iters`` SGD steps, then ``polish_iters`` L-BFGS iterations.

        Parameters
        ----------
        X : array_like of shape (N, D)
            float32 stays float32 (never copied when C-contiguous); float16 too, read as it
            is and computed in float32 (float32 weights); other dtypes become float64.
        y : array_like of shape (N,)
            Labels of any type; at least two classes.
        sample_weight : array_like of shape (N,), optional

        Returns
        -------
        self
        """
        params = self._check_params()
        X = as_features(X, half=True)
        for attr in ("coef_", "classes_"):
            self.__dict__.pop(attr, None)
        y_idx = self._labels(y, X.shape[0])
        sample_weight = check_sample_weight(sample_weight, X.shape[0])
        rng = check_random_state("random_state", self.random_state)
        self._init_state(X.shape[1], compute_dtype(X.dtype), rng)
        self._rng = rng
        self._train(X, y_idx, sample_weight, params["num_iters"], params, rng)
        self.n_polish_iter_ = 0
        if params["polish_iters"]:
            self._polish(X, y_idx, sample_weight, params)
        return self

    def partial_fit(
        self, X: ArrayLike, y: ArrayLike, classes: ArrayLike | None = None, sample_weight: ArrayLike | None = None
    ):
        """One more epoch of SGD on the chunk (X, y): ``ceil(N / batch_size)`` steps (1 for full batch).

        ``polish_iters`` does not apply: a chunk's full-batch optimum is not the data set's.

        scikit-learn's incremental-learning contract: the first call must name every class
        (``classes``) and fixes ``n_features_in_``; later calls continue the same weights,
        momentum and learning-rate schedule (its step count goes on), and refuse other
        features or labels outside ``classes_``. Training on the chunks of a data set in turn
        reaches what ``fit`` reaches on the whole.

        Parameters
        ----------
        X : array_like of shape (N, D)
        y : array_like of shape (N,)
        classes : array_like, optional
            Every label the model will see; required on the first call, optional later (then
            it must equal ``classes_``).
        sample_weight : array_like of shape (N,), optional

        Returns
        -------
        self
        """
        if not hasattr(self, "coef_") and classes is None:
            raise ValueError(
                f"classes must be passed on the first call to {type(self).__name__}.partial_fit "
                "(every label the model will see, e.g. classes=np.unique(y_all))"
            )
        params = self._check_params()
        X = as_features(X, half=True)
        first = not hasattr(self, "coef_")
        if not first and X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input"
            )
        if not first and classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError("classes differ from those of the first partial_fit")
        y_idx = self._labels(y, X.shape[0], classes if first else None)
        sample_weight = check_sample_weight(sample_weight, X.shape[0])
        if first:
            self._rng = check_random_state("random_state", self.random_state)
            self._init_state(X.shape[1], compute_dtype(X.dtype), self._rng)
        elif compute_dtype(X.dtype) != self._state.W.dtype:
            X = X.astype(self._state.W.dtype)
        steps = 1 if params["batch_size"] is None else math.ceil(X.shape[0] / params["batch_size"])
        self._train(X, y_idx, sample_weight, steps, params, self._rng)
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit first")

    def _scores(self, X: ArrayLike) -> np.ndarray:
        self._check_fitted()
        X = as_features(X, half=True)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input"
            )
        dtype = compute_dtype(X.dtype)
        W, b = self.coef_.astype(dtype, copy=False), self.intercept_.astype(dtype, copy=False)
        if X.dtype == dtype:
            return X @ W + b
        # float16: widened a block of rows at a time (no float32 copy of X; NumPy's own
        # float16 product would not use the BLAS)
        scores = np.empty((X.shape[0], W.shape[1]), dtype=dtype)
        step = block_rows(X.shape[1], 4, SCORE_ROWS)
        for a in range(0, X.shape[0], step):
            np.matmul(X[a : a + step].astype(dtype), W, out=scores[a : a + step])
        return scores + b

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """Class scores ``X @ coef_ + intercept_``, (N, C); for two classes, (N,) score of the second."""
        scores = self._scores(X)
        return scores[:, 1] - scores[:, 0] if scores.shape[1] == 2 else scores

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The class of the highest score."""
        scores = self._scores(X)
        return self.classes_[np.argmax(scores, axis=1)]


_COMMON_DOC = """
    Parameters
    ----------
    reg : float
        Regularization strength (``reg * sum(W**2)`` for L2); the intercept is not penalized.
    penalty : {"l2", "l1", "elasticnet"}
    l1_ratio : float
        Elastic-net mix.
    learning_rate : float
        Initial step size.
    schedule : {"constant", "step", "exponential", "invscaling", "cosine"} or callable
        How the step size decays (see :func:`fastlin.optim.make_schedule`); a callable maps the
        step number to the rate.
    batch_size : int or None
        Samples per step; None is full-batch gradient descent.
    num_iters : int
        SGD steps of ``fit`` (CS231n's ``num_iters``).
    polish_iters : int
        L-BFGS iterations on the full-batch loss after the SGD steps of ``fit``, from their
        solution (:func:`fastlin.full_batch.lbfgs`); 0, the default, skips them. Each costs
        one or two passes over all of X: worth it when SGD stops short of the optimum.
    momentum : float
        Classical momentum in ``[0, 1]``.
    fit_intercept : bool
        Learn ``intercept_`` (X is not copied to add a column).
    random_state : int, optional
        Seeds the initial weights and the batches: the same seed and ``n_threads`` give the same
        model.
    impl : {"jit", "vectorized", "naive"}
        Tier of the loss kernel.
    n_threads : int, optional
        Threads of the jit tier; None uses every core.
    verbose : bool
        Show a progress bar with the current loss.

    Attributes
    ----------
    coef_ : ndarray of shape (D, C)
    intercept_ : ndarray of shape (C,)
    classes_ : ndarray of shape (C,)
    loss_history_ : ndarray
        The loss of every step: each SGD step's batch, then the full batch after each
        L-BFGS iteration.
    n_polish_iter_ : int
        L-BFGS iterations run by the last ``fit`` (it may stop before ``polish_iters``).
    n_features_in_ : int
"""


def _init_with(defaults: dict):
    """An ``__init__`` that stores its parameters as attributes, unchanged, as scikit-learn wants.

    Its signature lists ``defaults`` explicitly (scikit-learn's ``get_params`` and ``clone``
    read the parameters from it), so both classifiers share one definition of the common ones.
    """
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    signature = inspect.Signature(
        [inspect.Parameter("self", kind)] + [inspect.Parameter(n, kind, default=v) for n, v in defaults.items()]
    )

    def __init__(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        for name, value in list(bound.arguments.items())[1:]:
            setattr(self, name, value)

    __init__.__signature__ = signature
    return __init__


#: the default learning rate times the number of features, per model: on standardized
#: features the scores' scale grows with their number, and so does the step SGD can take
#: (chosen on CIFAR-10's and the digits' validation splits; docs/results.md). ``fastlin train``
#: and ``fastlin lecture`` use it.
LR_TIMES_FEATURES = {"softmax": 4.0, "svm": 0.7}


def default_learning_rate(model: str, n_features: int) -> float:
    """The learning rate ``fastlin train`` uses when neither ``--lr`` nor a preset gives one."""
    return LR_TIMES_FEATURES[model] / n_features


#: the training parameters both classifiers share, after their loss and learning rate
_SGD_DEFAULTS = dict(
    schedule="step",
    batch_size=200,
    num_iters=1000,
    momentum=0.9,
    fit_intercept=True,
    random_state=None,
    impl="jit",
    n_threads=None,
    verbose=False,
    polish_iters=0,  # last, so that the positional order of the older parameters holds
)


class SoftmaxClassifier(_LinearClassifier):
    """Softmax (multinomial logistic) regression trained by mini-batch SGD."""

    _kind = "softmax"
    __init__ = _init_with(dict(reg=1e-3, penalty="l2", l1_ratio=0.5, learning_rate=0.1, **_SGD_DEFAULTS))

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Softmax of the scores, (N, C); rows sum to 1."""
        scores = self._scores(X).astype(np.float64)
        scores -= scores.max(axis=1, keepdims=True)
        p = np.exp(scores)
        return p / p.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """Log of :meth:`predict_proba`, computed stably."""
        scores = self._scores(X).astype(np.float64)
        scores -= scores.max(axis=1, keepdims=True)
        return scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))


class LinearSVM(_LinearClassifier):
    """Multiclass linear SVM trained by mini-batch SGD; ``delta`` is the margin.

    ``loss="hinge"`` is CS231n's SVM loss; ``loss="squared_hinge"`` squares each margin (the
    L2-SVM of Coates, Lee & Ng), which is smooth and often a little more accurate.
    ``multi_class="weston_watkins"`` puts each class's margin against the correct class's
    score (CS231n's); ``"ovr"`` trains one binary SVM per class against the rest, all in one
    pass (Coates and Ng's, and scikit-learn's ``LinearSVC``).
    """

    _kind = "svm"
    __init__ = _init_with(
        dict(
            loss="hinge",
            reg=1e-2,
            penalty="l2",
            l1_ratio=0.5,
            delta=1.0,
            learning_rate=0.003,
            **_SGD_DEFAULTS,
            multi_class="weston_watkins",  # after polish_iters: the older positional order holds
        )
    )

    def _loss_kind(self) -> str:
        return hinge_kind(check_choice("loss", self.loss, LOSSES) == "squared_hinge", self.multi_class)


SoftmaxClassifier.__doc__ += "\n" + _COMMON_DOC
LinearSVM.__doc__ += "\n" + _COMMON_DOC.replace(
    "    reg : float\n",
    '    loss : {"hinge", "squared_hinge"}\n        The SVM\'s loss.\n    reg : float\n',
).replace(
    "    l1_ratio : float\n        Elastic-net mix.\n",
    "    l1_ratio : float\n        Elastic-net mix.\n    delta : float\n        The hinge margin.\n",
).replace(
    "\n    Attributes\n",
    '    multi_class : {"weston_watkins", "ovr"}\n        How the margins combine the classes.\n\n    Attributes\n',
)
