"""The scheduler's overhead: hog+color of CIFAR-size images through a 2-worker LocalCluster
against the same batch kernels called in this process."""

import numpy as np
import pytest

import fastlin

distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")
fdask = pytest.importorskip("fastlin.dask")

HOG = dict(pixels_per_cell=(8, 8), cells_per_block=(2, 2))


def _in_process(images):
    return np.hstack([fastlin.hog_batch(images, channel_axis=-1, **HOG), fastlin.color_histogram_hsv_batch(images)])


def _on_cluster(lazy):
    return da.concatenate([fdask.hog_batch(lazy, **HOG), fdask.color_histogram_hsv_batch(lazy)], axis=1).compute()


@pytest.fixture(scope="module")
def cluster_client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    )
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


@pytest.mark.parametrize("who", ["in_process", "local_cluster"])
def test_dask_overhead(benchmark, smoke, who, request):
    n = 200 if smoke else 50_000
    benchmark.group = f"dask|{n}x32x32x3 hog+color|uint8"
    benchmark.extra_info["who"] = who
    if who == "in_process":
        images = np.random.default_rng(0).integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
        _in_process(images)  # warm-up: compilation
        run = lambda: _in_process(images)  # noqa: E731
    else:
        client = request.getfixturevalue("cluster_client")
        # the images are made and kept on the workers, as a cluster's data would be
        lazy = da.random.default_rng(0).integers(0, 256, (n, 32, 32, 3), chunks=(max(1, n // 8), 32, 32, 3))
        lazy = client.persist(lazy.astype(np.uint8))
        distributed.wait(lazy)
        np.testing.assert_array_equal(_on_cluster(lazy), _in_process(lazy.compute()))  # also the warm-up
        run = lambda: _on_cluster(lazy)  # noqa: E731
    benchmark.pedantic(run, rounds=1 if smoke else 5, iterations=1)
