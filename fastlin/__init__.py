"""fastlin: fast, faithful kernels for the classic linear image classifier."""

from fastlin.classifiers import LinearSVM, SoftmaxClassifier
from fastlin.features import (
    color_histogram_hsv,
    color_histogram_hsv_batch,
    extract_features,
    hog,
    hog_batch,
)
from fastlin.gradcheck import grad_check_sparse, numerical_gradient, rel_error
from fastlin.losses import softmax_loss, svm_loss
from fastlin.regularizers import regularization

__all__ = [
    "LinearSVM",
    "SoftmaxClassifier",
    "color_histogram_hsv",
    "color_histogram_hsv_batch",
    "extract_features",
    "hog",
    "hog_batch",
    "grad_check_sparse",
    "numerical_gradient",
    "regularization",
    "rel_error",
    "softmax_loss",
    "svm_loss",
]
__version__ = "0.1.0"
