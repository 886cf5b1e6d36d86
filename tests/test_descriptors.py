"""The descriptor table and the tier contracts: one declaration of each, read everywhere.

A toy descriptor registered by this file alone must work through every place that lists
descriptors: extract_features, the command's parser and featurizing, the Dask wrapper,
the bag of words and the tier tests.
"""

import dataclasses
import importlib
import inspect

import numpy as np
import pytest

import fastlin
from fastlin import _tiers, cli, descriptors
from tests.registry import LBP_HISTOGRAM, OPERATIONS
from tests.test_tiers import check_tiers

# --- a toy descriptor, in three tiers of its own -----------------------------------------------


def _toy_naive(images):
    """The mean and the largest value of each image row, by Python loops."""
    N, H = images.shape[:2]
    out = np.empty((N, 2 * H))
    for n in range(N):
        for r in range(H):
            row = [float(v) for v in np.asarray(images[n, r]).ravel()]
            out[n, r] = sum(row) / len(row)
            out[n, H + r] = max(row)
    return out


def _toy_vectorized(images):
    flat = np.asarray(images, dtype=np.float64).reshape(images.shape[0], images.shape[1], -1)
    return np.concatenate([flat.mean(axis=2), flat.max(axis=2)], axis=1)


TOY_TIERS = {"naive": _toy_naive, "vectorized": _toy_vectorized, "jit": _toy_vectorized}


def _toy_batch(images, *, n_threads=None, impl="jit"):
    return TOY_TIERS[impl](np.asarray(images))


def _toy_patch(patches, *, impl, n_threads):
    return _toy_batch(patches, impl=impl).astype(np.float32)


TOY = descriptors.Descriptor(
    "toyrows", "row means and maxima (a test's toy)", _toy_batch, lambda shape: {}, patch=_toy_patch
)


def _toy_run(case, data, impl, n_threads):
    return _toy_batch(data["images"], impl=impl, n_threads=n_threads)


# the LBP histogram's row of the table, with the toy's own calls: same shapes, dtypes, comparison
TOY_OPERATION = dataclasses.replace(LBP_HISTOGRAM, name="toyrows", topic="", run=_toy_run, dtypes=("uint8", "float64"))


@pytest.fixture
def toy():
    with descriptors.registered(TOY):
        yield TOY


def _images(n=12, color=True):
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (n, 8, 8, 3) if color else (n, 8, 8)).astype(np.uint8)


def test_a_toy_descriptor_works_through_extract_features(toy):
    images = _images()
    out = fastlin.extract_features(images, ["toyrows", "hog"])
    ref = _toy_vectorized(images)
    np.testing.assert_allclose(out[:, : ref.shape[1]], ref)
    assert out.shape[1] == ref.shape[1] + descriptors.get("hog").featurizer(images.shape[1:])(images).shape[1]


def test_a_toy_descriptor_works_through_the_command(toy, capsys):
    parser = cli.build_parser()
    assert "toyrows" in parser._subparsers._group_actions[0].choices["train"].format_help()
    args = parser.parse_args(["train", "--features", "toyrows+hog", "--iters", "20"])
    splits = [_images(5, color=False), _images(3, color=False)]
    times = {}
    F, encode = cli._featurize(splits, args, times)
    assert F[0].shape[0] == 5 and F[1].shape == (3, F[0].shape[1]) and F[0].shape[1] > 16  # toy, then hog
    np.testing.assert_allclose(F[1][:, :16], _toy_vectorized(splits[1]), rtol=1e-6)
    np.testing.assert_array_equal(encode(splits[1]), F[1])  # later images (the test split), the same way
    assert cli.main(["train", "--features", "toyrows", "--iters", "20"]) == 0
    assert "toyrows features (16 values)" in capsys.readouterr().out


def test_a_toy_descriptor_works_on_dask(toy):
    fdask = pytest.importorskip("fastlin.dask")
    da = pytest.importorskip("dask.array")
    images = _images(10)
    lazy = fdask.describe(da.from_array(images, chunks=(4, 8, 8, 3)), "toyrows")
    assert lazy.npartitions == 3
    np.testing.assert_allclose(lazy.compute(), _toy_vectorized(images))
    stacked = fdask.extract_features(da.from_array(images, chunks=(5, 8, 8, 3)), ["toyrows"])
    np.testing.assert_allclose(stacked.compute(), _toy_vectorized(images), rtol=1e-6)


def test_dask_describe_refuses_a_descriptor_that_must_be_fitted():
    fdask = pytest.importorskip("fastlin.dask")
    da = pytest.importorskip("dask.array")
    with pytest.raises(TypeError, match="'bow' descriptor must be fitted first"):
        fdask.describe(da.from_array(_images(4), chunks=(2, 8, 8, 3)), "bow")
    with pytest.raises(ValueError, match="unknown descriptor 'nosuch'"):
        fdask.describe(da.from_array(_images(4), chunks=(2, 8, 8, 3)), "nosuch")


def test_a_toy_descriptor_works_in_a_bag_of_words(toy):
    images = _images(6)
    bow = fastlin.BagOfVisualWords(n_words=3, patch_size=4, stride=2, descriptor="toyrows", random_state=0)
    hist = bow.fit(images).transform(images)
    assert hist.shape == (6, 3) and bow.words_.shape == (3, 8)
    np.testing.assert_allclose(hist.sum(axis=1), 1.0)


def test_a_toy_descriptor_passes_the_tier_tests(toy):
    for shape in TOY_OPERATION.test_shapes:
        for dtype in TOY_OPERATION.dtypes:
            check_tiers(TOY_OPERATION, shape, dtype)


def test_the_toy_is_gone_after_its_block():
    assert "toyrows" not in descriptors.DESCRIPTORS
    with pytest.raises(ValueError, match="unknown descriptor 'toyrows'"):
        fastlin.extract_features(_images(), ["toyrows"])


def test_names_are_new_words():
    with pytest.raises(ValueError, match="already registered"):
        descriptors.register(descriptors.get("hog"))
    with pytest.raises(ValueError, match="without '\\+'"):
        descriptors.register(descriptors.Descriptor("a+b", "", _toy_batch, dict))


def test_fitted_descriptors_must_be_fitted_first():
    with pytest.raises(TypeError, match="fitted first"):
        fastlin.extract_features(_images(), ["bow"])


def test_the_command_lists_the_table():
    help_text = cli.build_parser()._subparsers._group_actions[0].choices["train"].format_help()
    for name in descriptors.DESCRIPTORS:
        assert name in help_text
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["train", "--features", "nosuch"])


# --- the tier contracts ------------------------------------------------------------------------


@pytest.mark.parametrize("topic", sorted(_tiers.CONTRACTS))
def test_every_tier_implements_its_topics_contract(topic):
    signatures = {}
    for impl in _tiers.TIERS:
        module = importlib.import_module(f"fastlin.{impl}.{topic}")
        for name in _tiers.CONTRACTS[topic]:
            fn = getattr(module, name, None)
            assert callable(fn), f"fastlin.{impl}.{topic} has no {name}"
            params = list(inspect.signature(fn).parameters)
            assert signatures.setdefault(name, params) == params, f"fastlin.{impl}.{topic}.{name}{params}"


def test_every_topic_has_a_registry_operation_and_every_operation_a_topic():
    topics = {op.contract for op in OPERATIONS.values()}
    assert topics == set(_tiers.CONTRACTS), topics ^ set(_tiers.CONTRACTS)
