"""fastlin: fast, faithful kernels for the classic linear image classifier."""

from fastlin.color import color_histogram_hsv, color_histogram_hsv_batch
from fastlin.dsift import dsift, dsift_batch, phow, phow_batch
from fastlin.features import extract_features
from fastlin.filter_banks import filter_bank
from fastlin.gist import gist, gist_batch
from fastlin.gradcheck import grad_check_sparse, numerical_gradient, rel_error
from fastlin.hog import hog, hog_batch
from fastlin.kmeans import kmeans
from fastlin.lbp import lbp_batch, lbp_histogram, local_binary_pattern
from fastlin.losses import softmax_loss, squared_hinge_loss, svm_loss
from fastlin.regularizers import regularization
from fastlin.self_similarity import self_similarity, self_similarity_batch
from fastlin.textons import filter_responses

__version__ = "0.1.0"

# Loaded on first use, so that `import fastlin` stays cheap: the estimators bring
# scikit-learn's base classes (when installed), whose import alone costs more than the rest.
_LAZY_NAMES = {
    "LinearSVM": "fastlin.classifiers",
    "SoftmaxClassifier": "fastlin.classifiers",
    "BagOfVisualWords": "fastlin.bow",
    "KMeansFeatures": "fastlin.kmeans_features",
    "TextonFeatures": "fastlin.texton_features",
    "Standardizer": "fastlin.preprocessing",
    "tune": "fastlin.tuning",
    "AdditiveChi2Map": "fastlin.kernel_maps",
    "HellingerMap": "fastlin.kernel_maps",
}
#: public submodules reachable as attributes after `import fastlin`
_LAZY_MODULES = (
    *("bow", "classifiers", "cli", "color", "datasets", "descriptors", "dsift", "features", "filter_banks", "gist"),
    *("hog", "kernel_maps", "kmeans", "kmeans_features", "lbp", "lecture", "losses", "optim", "preprocessing"),
    *("self_similarity", "texton_features", "textons", "tuning"),
)


def __getattr__(name: str):
    import importlib

    if name in _LAZY_NAMES:
        return getattr(importlib.import_module(_LAZY_NAMES[name]), name)
    if name in _LAZY_MODULES:
        return importlib.import_module(f"fastlin.{name}")
    raise AttributeError(f"module 'fastlin' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY_NAMES) | set(_LAZY_MODULES))


__all__ = [
    "AdditiveChi2Map",
    "BagOfVisualWords",
    "HellingerMap",
    "KMeansFeatures",
    "LinearSVM",
    "SoftmaxClassifier",
    "Standardizer",
    "TextonFeatures",
    "color_histogram_hsv",
    "color_histogram_hsv_batch",
    "dsift",
    "dsift_batch",
    "extract_features",
    "filter_bank",
    "filter_responses",
    "gist",
    "gist_batch",
    "grad_check_sparse",
    "hog",
    "hog_batch",
    "kmeans",
    "lbp_batch",
    "lbp_histogram",
    "local_binary_pattern",
    "numerical_gradient",
    "phow",
    "phow_batch",
    "regularization",
    "self_similarity",
    "self_similarity_batch",
    "rel_error",
    "softmax_loss",
    "squared_hinge_loss",
    "svm_loss",
    "tune",
]
