"""k-means and the bag-of-words encoding against scikit-learn."""

from functools import lru_cache

import numpy as np
import pytest

import fastlin
from fastlin.vectorized.bow import patch_descriptors

N, D, K, ITERS = 100_000, 32, 64, 30


@lru_cache(maxsize=1)
def clustered():
    rng = np.random.default_rng(0)
    means = rng.uniform(-5, 5, (K, D))
    return (means[rng.integers(0, K, N)] + rng.standard_normal((N, D))).astype(np.float32)


@pytest.mark.parametrize("who", ["vectorized", "jit", "sklearn"])
def test_kmeans(benchmark, who):
    X = clustered()
    if who == "sklearn":
        cluster = pytest.importorskip("sklearn.cluster")

        def run():
            km = cluster.KMeans(K, n_init=1, algorithm="lloyd", max_iter=ITERS, tol=0, random_state=0).fit(X)
            return km.inertia_
    else:

        def run():
            return fastlin.kmeans(X, K, max_iter=ITERS, tol=0, random_state=0, impl=who)[2]

    benchmark.extra_info["inertia"] = run()  # also the warm-up
    benchmark.group = f"kmeans|{N}x{D} k={K} {ITERS} iters|float32"
    benchmark.pedantic(run, rounds=3, iterations=1)


@lru_cache(maxsize=1)
def bow_case():
    images = np.random.default_rng(1).integers(0, 256, (1000, 32, 32)).astype(np.uint8)
    bow = fastlin.BagOfVisualWords(n_words=64, patch_size=8, stride=1, max_patches=20, random_state=0).fit(images)
    return images, bow


@pytest.mark.parametrize("who", ["vectorized", "jit", "sklearn"])
def test_bow_transform(benchmark, who):
    images, bow = bow_case()
    if who == "jit":
        run = lambda: bow.transform(images)  # noqa: E731
    elif who == "vectorized":
        from fastlin.vectorized.bow import nearest_word_counts

        run = lambda: nearest_word_counts(patch_descriptors(images[..., None], 8, 1), bow.words_)  # noqa: E731
    else:
        cluster = pytest.importorskip("sklearn.cluster")
        image_feature = pytest.importorskip("sklearn.feature_extraction.image")
        km = cluster.KMeans(64, n_init=1, max_iter=1, random_state=0).fit(bow.words_)
        km.cluster_centers_ = bow.words_.copy()  # the same codebook

        def run():
            out = np.empty((len(images), 64))
            for i, im in enumerate(images):
                p = image_feature.extract_patches_2d(im, (8, 8)).reshape(-1, 64).astype(np.float32)
                p -= p.mean(axis=1, keepdims=True)
                p /= np.maximum(np.linalg.norm(p, axis=1, keepdims=True), 1e-12)
                out[i] = np.bincount(km.predict(p), minlength=64) / len(p)
            return out

    run()
    benchmark.group = "bow_transform|1000x32x32 patch 8 stride 1|uint8"
    benchmark.pedantic(run, rounds=3, iterations=1)
