"""fastlin: fast, faithful kernels for the classic linear image classifier."""

from fastlin.features import (
    color_histogram_hsv,
    color_histogram_hsv_batch,
    extract_features,
    hog,
    hog_batch,
)
from fastlin.gradcheck import grad_check_sparse, numerical_gradient, rel_error
from fastlin.kmeans import kmeans
from fastlin.losses import softmax_loss, svm_loss
from fastlin.regularizers import regularization

# The estimators are imported on first use: they bring scikit-learn's base classes when it is
# installed, and that import alone costs more than the rest of fastlin.
_LAZY = {
    "LinearSVM": "fastlin.classifiers",
    "SoftmaxClassifier": "fastlin.classifiers",
    "BagOfVisualWords": "fastlin.bow",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'fastlin' has no attribute {name!r}")


__all__ = [
    "BagOfVisualWords",
    "LinearSVM",
    "SoftmaxClassifier",
    "color_histogram_hsv",
    "color_histogram_hsv_batch",
    "extract_features",
    "grad_check_sparse",
    "hog",
    "hog_batch",
    "kmeans",
    "numerical_gradient",
    "regularization",
    "rel_error",
    "softmax_loss",
    "svm_loss",
]
__version__ = "0.1.0"
