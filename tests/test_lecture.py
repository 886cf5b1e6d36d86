"""``fastlin lecture`` on the bundled digits: the numbers behind each figure, the files, the page."""

import json
import math
import struct
from pathlib import Path

import numpy as np
import pytest

from fastlin import cli
from fastlin.lecture import EXPERIMENTS
from fastlin.lecture_figures import DPI, SIZES

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def lecture(tmp_path_factory):
    out = tmp_path_factory.mktemp("lecture")
    assert cli.main(["lecture", "--out", str(out), "--seed", "0"]) == 0
    numbers = {stem: json.loads((out / f"{stem}.json").read_text()) for stem, *_ in EXPERIMENTS}
    return out, numbers


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def test_every_figure_is_a_readable_png_of_its_size_and_on_the_page(lecture):
    import matplotlib.image

    out, _ = lecture
    page = (out / "index.html").read_text()
    for stem, title, *_ in EXPERIMENTS:
        path = out / f"{stem}.png"
        width, height = _png_size(path)
        assert (width, height) == (round(SIZES[stem][0] * DPI), round(SIZES[stem][1] * DPI))
        pixels = matplotlib.image.imread(path)
        assert pixels.shape[:2] == (height, width) and pixels[..., :3].std() > 0.01  # not blank
        assert f'src="{stem}.png"' in page and f'href="{stem}.json"' in page and title in page


def test_sanity_losses_are_c_minus_1_and_ln_c(lecture):
    n = lecture[1]["02-sanity"]
    C = n["C"]
    assert abs(n["svm"] - (C - 1)) < 0.05 * (C - 1)
    assert abs(n["softmax"] - math.log(C)) < 0.05 * math.log(C)
    assert n["svm_with_reg"][-1] > n["svm_with_reg"][0] and np.all(np.diff(n["softmax_with_reg"]) >= 0)


def test_the_too_high_rate_is_flagged_as_diverging_and_the_good_one_learns(lecture):
    runs = lecture[1]["06-learning-rates"]["runs"]
    assert runs["very high"]["diverged"] and not runs["good"]["diverged"] and not runs["low"]["diverged"]
    assert np.mean(runs["good"]["loss"][-20:]) < np.mean(runs["low"]["loss"][-20:]) < runs["low"]["loss"][0]


def test_the_full_batch_is_smoother_than_one_example(lecture):
    runs = lecture[1]["07-batch-size"]["runs"]
    assert runs["full"]["step_to_step_variance"] < runs["1"]["step_to_step_variance"] / 10
    assert set(runs) == {"1", "32", "64", "128", "256", "full"}


def test_the_gradient_error_is_a_v_in_both_precisions(lecture):
    n = lecture[1]["04-gradient-check"]
    for dtype in ("float64", "float32"):
        errors = np.array(n[dtype])
        best = int(np.argmin(errors))
        assert 0 < best < len(errors) - 1, (dtype, errors)
        assert errors[0] > 10 * errors[best] and errors[-1] > 10 * errors[best]
    assert min(n["float64"]) < 1e-6 and min(n["float64"]) < min(n["float32"])
    assert n["float64_numerical_seconds"] > n["float64_analytic_seconds"]


def test_random_search_loses_to_the_gradient(lecture):
    n = lecture[1]["03-search"]
    assert n["gradient_descent"][-1] > n["random_search"][-1] + 0.2
    assert n["gradient_descent"][-1] > n["random_local_search"][-1]
    assert len(n["evals"]) == len(n["random_search"]) == len(n["gradient_descent"])


def test_svm_is_indifferent_once_the_margin_is_met_softmax_never(lecture):
    n = lecture[1]["08-svm-vs-softmax"]
    assert n["svm"] == [0.0, 0.0, 0.0]
    assert n["softmax"][1] > n["softmax"][0] > 1e-4 and 0 <= n["softmax"][2] < 1e-40  # exp(-110): as good as 0
    sweep, svm, soft = (np.array(n[k]) for k in ("sweep", "svm_sweep", "softmax_sweep"))
    assert np.all(svm[sweep <= 9] == 0) and np.all(svm[sweep > 9] > 0)
    assert np.all(np.diff(soft) > 0)


def test_regularization_prefers_the_spread_weights_under_l2_only(lecture):
    n = lecture[1]["09-regularization"]
    assert n["scores"] == [1.0, 1.0] and n["l2"] == [1.0, 0.25] and n["l1"] == [1.0, 1.0]
    w = n["weights"]
    assert w["l1"]["near_zero"] > w["l2"]["near_zero"] + 0.1


def test_one_step_makes_progress_then_overshoots(lecture):
    n = lecture[1]["05-step-size"]
    loss = np.array(n["loss"])
    assert loss.min() < n["start"] and loss[-1] > n["start"]


def test_the_landscapes_slices_are_computed_losses(lecture):
    n = lecture[1]["01-landscape"]
    one = np.array(n["svm_one_1d"])
    kinks = np.count_nonzero(np.abs(np.diff(one, 2)) > 1e-9)
    assert 0 < kinks < len(one) / 4  # piecewise linear: straight between a few kinks
    smooth = np.array(n["softmax_batch_1d"])
    assert np.all(np.diff(smooth, 2) > -1e-12)  # convex along a line
    assert np.array(n["svm_batch_2d"]).shape == (len(n["grid"]), len(n["grid"]))


def test_schedules_and_features_come_from_the_run(lecture):
    n = lecture[1]["10-schedules"]
    assert set(n["runs"]) == {"constant", "step", "exponential", "invscaling", "cosine"}
    assert n["runs"]["constant"]["rate"][0] == n["runs"]["constant"]["rate"][-1]
    assert n["runs"]["cosine"]["rate"][-1] < n["runs"]["cosine"]["rate"][0]
    f = lecture[1]["11-features"]
    assert {"raw", "hog", "lbp", "gist", "dsift"} <= set(f["families"]) and "color" not in f["families"]
    assert all(v["test_accuracy"] > 0.5 for v in f["families"].values())  # digits: far above chance
    assert len(f["templates"]) == 10 and f["hue_histogram"] is None and "quoted" not in f
    assert "Gray images" in (lecture[0] / "index.html").read_text()


def test_the_command_refuses_bad_arguments(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["lecture", "--train-size", "0"])
    assert exit_info.value.code == 2 and "--train-size: must be >= 1" in capsys.readouterr().err
