"""Data loading and the `fastlin` command."""

import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

from fastlin import cli, descriptors
from fastlin.datasets import CIFAR10_FILES, load_cifar10, load_digits


def test_load_digits():
    images, labels = load_digits()
    assert images.shape == (1797, 8, 8) and images.dtype == np.uint8
    assert images.max() == 16 and labels.dtype == np.int64
    assert set(labels) == set(range(10))
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    ref = sklearn_datasets.load_digits()
    np.testing.assert_array_equal(images, ref.images)
    np.testing.assert_array_equal(labels, ref.target)


def write_cifar(root, n=4):
    """Tiny batches in exactly CIFAR-10's python format: a pickled dict with bytes keys."""
    rng = np.random.default_rng(0)
    expected = {}
    for name in CIFAR10_FILES:
        images = rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
        labels = rng.integers(0, 10, n).tolist()
        rows = images.transpose(0, 3, 1, 2).reshape(n, 3072)  # R plane, G plane, B plane
        batch = {b"batch_label": name.encode(), b"labels": labels, b"data": rows, b"filenames": [b"x.png"] * n}
        with open(root / name, "wb") as fh:
            pickle.dump(batch, fh, protocol=2)
        expected[name] = (images, np.array(labels))
    return expected


def test_load_cifar10_reads_the_python_batches(tmp_path):
    expected = write_cifar(tmp_path)
    X_train, y_train, X_test, y_test = load_cifar10(tmp_path)
    assert X_train.shape == (20, 32, 32, 3) and X_train.dtype == np.uint8
    assert y_train.dtype == np.int64 and X_test.shape == (4, 32, 32, 3)
    np.testing.assert_array_equal(X_train[:4], expected["data_batch_1"][0])
    np.testing.assert_array_equal(X_train[16:], expected["data_batch_5"][0])
    np.testing.assert_array_equal(y_test, expected["test_batch"][1])


def test_load_cifar10_missing_folder_or_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="CIFAR-10 'python version'"):
        load_cifar10(tmp_path / "nowhere")
    write_cifar(tmp_path)
    (tmp_path / "data_batch_3").unlink()
    with pytest.raises(FileNotFoundError, match="missing data_batch_3"):
        load_cifar10(tmp_path)


def test_cli_train_digits(capsys):
    assert cli.main(["train", "--iters", "200"]) == 0
    out = capsys.readouterr().out
    assert "accuracy  train" in out and "test" in out and "time" in out
    test_acc = float(out.split("test ")[-1].split()[0])
    assert test_acc > 0.9


def test_cli_train_bow_on_digits(capsys):
    assert cli.main(["train", "--features", "bow", "--iters", "100"]) == 0
    assert "bow features (64 values)" in capsys.readouterr().out


def test_cli_one_versus_rest_svm(capsys):
    argv = ["train", "--model", "svm", "--loss", "squared_hinge", "--multi-class", "ovr", "--iters", "200"]
    assert cli.main([*argv, "--polish", "20"]) == 0
    out = capsys.readouterr().out
    assert "svm (squared_hinge, one-vs-rest), 200 steps of 200 and 20 L-BFGS iterations" in out
    assert float(out.split("test ")[-1].split()[0]) > 0.9
    assert cli.main(["train", "--model", "softmax", "--multi-class", "ovr"]) == 2
    assert "--multi-class is an option of --model svm" in capsys.readouterr().err


def test_cli_train_hog_svm_and_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "run.png"
    assert cli.main(["train", "--model", "svm", "--features", "hog", "--iters", "100", "--plot", str(plot)]) == 0
    assert plot.stat().st_size > 1000
    assert "loss curve" in capsys.readouterr().out


def test_cli_train_cifar_folder(tmp_path, capsys):
    write_cifar(tmp_path, n=250)  # 1250 training images: a tenth (at most 1000) validates
    args = ["train", "--dataset", f"cifar10:{tmp_path}", "--features", "hog+color+bow", "--iters", "20"]
    assert cli.main(args) == 0
    assert "cifar10: 1125 train / 125 val / 250 test" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [["train", "--lr", "-1"], ["train", "--model", "knn"], ["train", "--dataset", "mnist"], ["fly"], []],
)
def test_cli_bad_arguments_exit_2_with_one_line(argv, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "error" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize(
    "argv, match",
    [
        (["train", "--dataset", "cifar10:/no/such/folder"], "CIFAR-10 'python version'"),
        (["train", "--features", "color"], "needs RGB images"),
    ],
)
def test_cli_runtime_errors_exit_2_with_one_line(argv, match, capsys):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert match in err and len(err.splitlines()) == 1


def test_cli_check_and_module_entry_point():
    out = subprocess.run([sys.executable, "-m", "fastlin", "check"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "gradients agree" in out.stdout
    assert out.stdout.count("max relative error") == 15  # five losses, three tiers


def test_cli_output_into_a_closed_pipe_ends_quietly():
    # ``fastlin check | head -1`` once head has left: the pipe's reader is gone before any write
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        out = subprocess.run(
            [sys.executable, "-m", "fastlin", "check"], stdout=write_end, stderr=subprocess.PIPE, text=True
        )
    finally:
        os.close(write_end)
    assert out.returncode == 141 and out.stderr == ""


def test_cli_coates_on_digits(capsys):
    argv = ["train", "--features", "coates", "--centroids", "20", "--patches", "3000", "--patch-size", "4"]
    argv += ["--encoding", "triangle", "--dictionary", "kmeans", "--grid", "2"]  # the 2011 paper's features
    argv += ["--multi-class", "weston_watkins", "--storage", "float32"]
    assert cli.main([*argv, "--iters", "300", "--polish", "0", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "coates features (80 values), svm (squared_hinge), 300 steps of 256\n" in out
    for stage in ("codebook", "encode", "standardize", "train", "evaluate"):
        assert f"{stage} " in out
    test_accuracy = float(out.split("test ")[1].split()[0])
    assert test_accuracy > 0.85


def test_cli_coates_with_the_soft_threshold_and_omp1(capsys):
    argv = ["train", "--features", "coates", "--centroids", "20", "--patches", "3000", "--patch-size", "4"]
    argv += ["--encoding", "soft-split", "--alpha", "0.3", "--dictionary", "omp1", "--grid", "2", "--iters", "300"]
    assert cli.main([*argv, "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "coates features (160 values, float16)" in out  # 20 atoms, both signs, 2 x 2 cells
    assert float(out.split("test ")[1].split()[0]) > 0.85


def test_cli_coates_preset_is_the_soft_threshold_one_versus_rest_in_float16(capsys):
    argv = ["train", "--features", "coates", "--centroids", "20", "--patches", "3000", "--patch-size", "4"]
    assert cli.main([*argv, "--iters", "300", "--quiet"]) == 0
    out = capsys.readouterr().out
    # OMP-1 atoms, sign split, 2 x 2 cells, held in float16; one L2-SVM per class by SGD
    assert "coates features (160 values, float16), svm (squared_hinge, one-vs-rest), 300 steps of 256\n" in out
    assert float(out.split("test ")[1].split()[0]) > 0.85
    assert cli.main([*argv, "--iters", "300", "--polish", "20", "--quiet"]) == 0
    assert " and 20 L-BFGS iterations" in capsys.readouterr().out


def test_cli_coates_preset_mirrors_and_no_mirror_turns_it_off():
    parser = cli.build_parser()
    preset = cli._descriptor_params("coates", parser.parse_args(["train", "--features", "coates"]))
    assert preset["mirror"] is True and preset["n_centroids"] == 2400
    plain = cli._descriptor_params("coates", parser.parse_args(["train", "--features", "coates", "--no-mirror"]))
    assert plain["mirror"] is False
    # the descriptor table's own preset (extract_features, fastlin.dask) mirrors too
    assert descriptors.get("coates").defaults((32, 32, 3))["mirror"] is True


def test_cli_cifar10_without_a_path_uses_the_cache(tmp_path, monkeypatch, capsys):
    from fastlin.datasets import CIFAR10_FOLDER

    folder = tmp_path / CIFAR10_FOLDER
    folder.mkdir()
    write_cifar(folder, n=12)
    monkeypatch.setenv("FASTLIN_DATA", str(tmp_path))
    assert cli.main(["train", "--dataset", "cifar10", "--iters", "5"]) == 0
    assert "cifar10: 54 train / 6 val / 12 test" in capsys.readouterr().out
