"""LinearSVM and SoftmaxClassifier: accuracy on digits, scikit-learn conventions, bad input."""

import tracemalloc

import numpy as np
import pytest

import fastlin
from fastlin.datasets import load_digits

sklearn = pytest.importorskip("sklearn", reason="scikit-learn is an optional peer")
from sklearn.base import clone  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import cross_val_score, train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

MODELS = (fastlin.SoftmaxClassifier, fastlin.LinearSVM)


@pytest.fixture(scope="module")
def digits_split():
    images, labels = load_digits()
    X = images.reshape(len(images), -1).astype(np.float64)
    Xtr, Xte, ytr, yte = train_test_split(X, labels, test_size=0.25, stratify=labels, random_state=0)
    scaler = StandardScaler().fit(Xtr)
    return scaler.transform(Xtr), scaler.transform(Xte), ytr, yte


@pytest.mark.parametrize("cls, floor", [(fastlin.SoftmaxClassifier, 0.95), (fastlin.LinearSVM, 0.94)])
def test_defaults_work_on_digits(digits_split, cls, floor):
    Xtr, Xte, ytr, yte = digits_split
    reference = LogisticRegression(max_iter=5000).fit(Xtr, ytr).score(Xte, yte)
    acc = cls(random_state=0).fit(Xtr, ytr).score(Xte, yte)
    assert acc >= floor
    assert acc >= reference - 0.02


@parametrize_with_checks([cls(random_state=0, num_iters=100) for cls in MODELS])
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_scikit_learn_check_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("cls", MODELS)
def test_pipeline_clone_cross_val_and_string_labels(digits_split, cls):
    Xtr, _, ytr, _ = digits_split
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])
    pipe = make_pipeline(StandardScaler(), cls(random_state=0, num_iters=300))
    scores = cross_val_score(pipe, Xtr, names[ytr], cv=3)
    assert scores.mean() > 0.9
    model = cls(reg=0.5, random_state=3)
    twin = clone(model)
    assert twin.get_params() == model.get_params() and twin is not model
    model.set_params(learning_rate=0.02)
    assert model.learning_rate == 0.02
    fitted = cls(random_state=0, num_iters=200).fit(Xtr[:300], names[ytr[:300]])
    assert set(fitted.predict(Xtr[:50])) <= set(names)
    assert fitted.coef_.shape == (64, 10) and fitted.intercept_.shape == (10,)
    assert fitted.loss_history_.shape == (200,)


def test_reproducible_with_a_seed(digits_split):
    Xtr, _, ytr, _ = digits_split
    a = fastlin.SoftmaxClassifier(random_state=7, num_iters=100).fit(Xtr, ytr)
    b = fastlin.SoftmaxClassifier(random_state=7, num_iters=100).fit(Xtr, ytr)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(a.loss_history_, b.loss_history_)


def test_predict_proba_and_decision_function(digits_split):
    Xtr, Xte, ytr, _ = digits_split
    model = fastlin.SoftmaxClassifier(random_state=0, num_iters=200).fit(Xtr, ytr)
    p = model.predict_proba(Xte)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_array_equal(model.classes_[p.argmax(axis=1)], model.predict(Xte))
    np.testing.assert_allclose(np.exp(model.predict_log_proba(Xte)), p)
    scores = model.decision_function(Xte)
    np.testing.assert_allclose(scores, Xte @ model.coef_ + model.intercept_)


def test_binary_decision_function_is_1d():
    X = np.random.default_rng(0).standard_normal((60, 3))
    y = (X[:, 0] > 0).astype(int)
    model = fastlin.LinearSVM(random_state=0, num_iters=100).fit(X, y)
    assert model.decision_function(X).shape == (60,)
    assert model.score(X, y) > 0.9


def test_intercept_is_learned_without_copying_X():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20000, 200)).astype(np.float32)
    y = (X[:, 0] + 3.0 > 3.0).astype(int)  # the intercept matters only with offset data
    X += 5.0
    tracemalloc.start()
    model = fastlin.SoftmaxClassifier(random_state=0, num_iters=20, learning_rate=0.01).fit(X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < X.nbytes / 2  # no (N, D + 1) copy of X, no float64 upcast
    assert model.coef_.dtype == np.float32
    assert np.abs(model.intercept_).max() > 0


def test_partial_fit_continues(digits_split):
    Xtr, _, ytr, _ = digits_split
    model = fastlin.SoftmaxClassifier(random_state=0)
    model.partial_fit(Xtr[:500], ytr[:500], classes=np.arange(10))
    first = len(model.loss_history_)
    assert first == 3  # ceil(500 / 200) steps
    model.partial_fit(Xtr[500:], ytr[500:])
    assert len(model.loss_history_) > first
    assert model.score(Xtr, ytr) > 0.8
    with pytest.raises(ValueError, match="features as input"):
        model.partial_fit(Xtr[:, :5], ytr)


def test_verbose_shows_progress(capsys):
    X = np.random.default_rng(0).standard_normal((100, 4))
    y = np.arange(100) % 3
    fastlin.SoftmaxClassifier(num_iters=40, verbose=True).fit(X, y)
    assert "sgd" in capsys.readouterr().err


@pytest.mark.parametrize(
    "kw, fit_args, exc, match",
    [
        ({}, {"X": np.full((10, 2), np.nan)}, ValueError, "X contains NaN or inf"),
        ({}, {"y": np.zeros(10, int)}, ValueError, "at least 2 classes"),
        ({}, {"y": np.arange(9) % 2}, ValueError, "X has 10 samples but y has 9"),
        ({"learning_rate": 0.0}, {}, ValueError, "learning_rate must be > 0"),
        ({"learning_rate": -1.0}, {}, ValueError, "learning_rate must be > 0"),
        ({"batch_size": 0}, {}, ValueError, "batch_size must be >= 1"),
        ({"schedule": "linear"}, {}, ValueError, "schedule must be one of"),
        ({"num_iters": 0}, {}, ValueError, "num_iters must be >= 1"),
        ({"momentum": 1.5}, {}, ValueError, "momentum must be <= 1"),
        ({"penalty": "l0"}, {}, ValueError, "penalty must be one of"),
        ({"impl": "gpu"}, {}, ValueError, "impl must be one of"),
        ({}, {"sample_weight": -np.ones(10)}, ValueError, "sample_weight must be non-negative"),
        ({}, {"X": np.full((10, 2), np.inf, dtype=np.float16)}, ValueError, "X contains NaN or inf"),
    ],
)
@pytest.mark.parametrize("cls", MODELS)
def test_fit_refuses_bad_input(cls, kw, fit_args, exc, match):
    args = {"X": np.random.default_rng(0).standard_normal((10, 2)), "y": np.arange(10) % 2, **fit_args}
    with pytest.raises(exc, match=match):
        cls(**kw).fit(**args)


def test_svm_refuses_an_unknown_multi_class():
    X, y = np.random.default_rng(0).standard_normal((10, 2)), np.arange(10) % 2
    with pytest.raises(ValueError, match="multi_class must be one of"):
        fastlin.LinearSVM(multi_class="crammer_singer").fit(X, y)


def test_not_fitted():
    with pytest.raises(sklearn.exceptions.NotFittedError):
        fastlin.LinearSVM().predict(np.ones((2, 2)))


@pytest.mark.parametrize("cls", [fastlin.SoftmaxClassifier, fastlin.LinearSVM])
def test_partial_fit_on_chunks_reaches_fit(digits_split, cls):
    Xtr, Xte, ytr, yte = digits_split
    whole = cls(random_state=0).fit(Xtr, ytr).score(Xte, yte)
    model = cls(random_state=0)
    chunks = np.array_split(np.arange(len(ytr)), 5)
    steps = 0
    while steps < 1000:  # as many SGD steps as fit's default num_iters
        for chunk in chunks:
            model.partial_fit(Xtr[chunk], ytr[chunk], classes=np.arange(10))
        steps = len(model.loss_history_)
    assert model.score(Xte, yte) >= whole - 0.01


def test_partial_fit_contract():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 4))
    y = np.arange(60) % 3
    model = fastlin.LinearSVM(random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        model.partial_fit(X, y)
    model.partial_fit(X[:30], y[:30], classes=[0, 1, 2, 3])  # a class not seen yet is fine
    assert model.n_features_in_ == 4 and list(model.classes_) == [0, 1, 2, 3]
    state = model._state
    model.partial_fit(X[30:], y[30:])
    assert model._state is state and state.step == 2  # the same optimizer state goes on
    with pytest.raises(ValueError, match="not in classes_"):
        model.partial_fit(X[:5], [0, 1, 2, 9, 1])
    with pytest.raises(ValueError, match="features as input"):
        model.partial_fit(X[:, :3], y)
    with pytest.raises(ValueError, match="classes differ"):
        model.partial_fit(X, y, classes=[0, 1])
