"""fastlin.dask on a real scheduler: a 2-worker LocalCluster on the loopback interface."""

import functools
import sys
import time

import numpy as np
import pytest

import fastlin

distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")
fdask = pytest.importorskip("fastlin.dask")


@pytest.fixture(scope="module")
def client():
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers need not import tests/
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def _images(n=60, seed=0, color=True):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 32, 32, 3) if color else (n, 32, 32), dtype=np.uint8)


def test_features_equal_the_in_memory_kernels_bit_for_bit(client):
    images = _images()
    lazy = da.from_array(images, chunks=(16, 32, 32, 3))
    hog_kw = dict(pixels_per_cell=(8, 8), cells_per_block=(2, 2))
    h = fdask.hog_batch(lazy, **hog_kw)
    assert isinstance(h, da.Array) and h.dtype == np.float64 and h.chunks[0] == lazy.chunks[0]
    assert h.npartitions == lazy.npartitions  # one task per chunk
    np.testing.assert_array_equal(h.compute(), fastlin.hog_batch(images, channel_axis=-1, **hog_kw))
    c = fdask.color_histogram_hsv_batch(lazy, nbin=12)
    assert c.shape == (60, 12) and type(c._meta) is np.ndarray and c._meta.ndim == 2 and c.dtype == c._meta.dtype
    np.testing.assert_array_equal(c.compute(), fastlin.color_histogram_hsv_batch(images, nbin=12))
    gray = _images(color=False)
    g = fdask.hog_batch(da.from_array(gray, chunks=(25, 32, 32)), **hog_kw)
    np.testing.assert_array_equal(g.compute(), fastlin.hog_batch(gray, **hog_kw))


def test_extract_features_with_a_fitted_encoder(client):
    images = _images(40)
    encoder = fastlin.KMeansFeatures(n_centroids=8, n_patches=2000, random_state=0).fit(images)
    fns = [functools.partial(fastlin.hog, channel_axis=-1), fastlin.color_histogram_hsv, encoder.transform]
    lazy = fdask.extract_features(da.from_array(images, chunks=(10, 32, 32, 3)), fns)
    # the functions (the encoder with them) are one key of the graph, on which every task
    # depends: it travels to each worker once, not with every task
    graph = lazy.__dask_graph__()
    shared = [k for k in dict(graph) if isinstance(k, str) and k.startswith("_Stack-")]
    assert len(shared) == 1
    dependencies = graph.get_all_dependencies()
    from dask.core import flatten

    assert all(shared[0] in dependencies[key] for key in flatten(lazy.__dask_keys__()))
    np.testing.assert_array_equal(lazy.compute(), fastlin.extract_features(images, fns).astype(np.float32))


@pytest.mark.parametrize("name", ["svm_loss", "softmax_loss"])
def test_losses_equal_the_in_memory_losses(client, name):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((1000, 30))
    y = rng.integers(0, 7, 1000)
    W = 0.1 * rng.standard_normal((30, 7))
    lazy_X = da.from_array(X, chunks=(137, 30))
    lazy_y = da.from_array(y, chunks=(137,))
    loss, dW = getattr(fdask, name)(W, lazy_X, lazy_y, 0.3, split_every=3)
    ref_loss, ref_dW = getattr(fastlin, name)(W, X, y, 0.3)
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    np.testing.assert_allclose(dW, ref_dW, rtol=1e-12, atol=1e-15)
    assert dW.dtype == W.dtype and dW.shape == W.shape


def test_fit_incremental_reaches_fit_on_digits(client):
    from fastlin.datasets import load_digits
    from fastlin.preprocessing import Standardizer

    images, labels = load_digits()
    order = np.random.default_rng(0).permutation(len(labels))
    X = Standardizer().fit_transform(images.reshape(len(images), -1).astype(np.float64))[order]
    y = labels[order]
    Xtr, ytr, Xte, yte = X[:1350], y[:1350], X[1350:], y[1350:]
    whole = fastlin.SoftmaxClassifier(random_state=0, num_iters=300).fit(Xtr, ytr).score(Xte, yte)
    model = fastlin.SoftmaxClassifier(random_state=0, num_iters=300)  # the schedule's length
    lazy_X = da.from_array(Xtr, chunks=(675, 64))
    fdask.fit_incremental(model, lazy_X, da.from_array(ytr, chunks=(675,)), epochs=38, progress=False)
    assert len(model.loss_history_) >= 300 and model.score(Xte, yte) >= whole - 0.01


def _slow_hog(chunk):
    time.sleep(0.3)
    return fastlin.hog_batch(chunk, channel_axis=-1, n_threads=1)


_slow_hog.takes_batch = True


def test_a_worker_restarted_mid_computation_does_not_change_the_result(client):
    images = _images(48)
    lazy = fdask.extract_features(da.from_array(images, chunks=(2, 32, 32, 3)), [_slow_hog])
    future = client.compute(lazy)
    time.sleep(1.0)
    victim = sorted(client.scheduler_info()["workers"])[0]
    client.restart_workers([victim])  # its nanny starts a new process; lost tasks run again
    np.testing.assert_array_equal(future.result(), fastlin.hog_batch(images, channel_axis=-1).astype(np.float32))


def test_bad_chunkings_and_mismatched_chunks_are_refused(client):
    images = da.from_array(_images(20), chunks=(10, 16, 32, 3))
    with pytest.raises(ValueError, match="chunked along N"):
        fdask.hog_batch(images)
    X = da.from_array(np.zeros((20, 6)), chunks=(10, 3))
    with pytest.raises(ValueError, match="rows only"):
        fdask.svm_loss(np.zeros((6, 3)), X, np.zeros(20, dtype=int))
    X = da.from_array(np.zeros((20, 6)), chunks=(10, 6))
    y = da.from_array(np.zeros(20, dtype=int), chunks=(5,))
    with pytest.raises(ValueError, match="must match the row chunks"):
        fdask.softmax_loss(np.zeros((6, 3)), X, y)
    with pytest.raises(ValueError, match="must match the row chunks"):
        fdask.fit_incremental(fastlin.LinearSVM(), X, y)
    with pytest.raises(TypeError, match="n_threads"):
        fdask.hog_batch(da.from_array(_images(4), chunks=(2, 32, 32, 3)), n_threads=2)


def test_task_threads_never_oversubscribe(client):
    per_task = client.run(fdask.task_threads)
    import os

    cores = len(os.sched_getaffinity(0))
    assert all(1 <= n <= cores for n in per_task.values())
    assert fdask.task_threads() >= 1


def test_cli_runs_the_feature_stage_on_the_cluster(client, capsys):
    from fastlin import cli

    argv = ["train", "--features", "hog+lbp", "--model", "svm", "--iters", "200"]
    assert cli.main(argv) == 0
    local = capsys.readouterr().out.splitlines()[1]
    assert cli.main([*argv, "--scheduler", client.scheduler.address]) == 0
    assert capsys.readouterr().out.splitlines()[1] == local  # the same features, the same model
