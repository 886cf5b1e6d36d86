"""Writes dsift_vlfeat.npz and phow_vlfeat.npz: VLFeat 0.9.21's dense SIFT (as MATLAB's vl_dsift returns
it) and PHOW (vl_phow's steps over VLFeat's own smoothing and dense SIFT) of a few images.

Run once on a machine with Debian's libvlfeat-dev and a C compiler (``python -m
tests.data.make_dsift_fixture``); the tests compare every tier with the file, so machines
without VLFeat still check against it.
"""

from pathlib import Path

import numpy as np

from tests import vlfeat

#: (image name, step, size, fast, window_size, bounds) of each case
CASES = [
    ("random_24x29", 1, 2, False, 2.0, None),
    ("random_24x29", 2, 4, True, 2.0, None),
    ("random_24x29", 3, 5, False, 1.5, (2, 1, 27, 22)),
    ("camera_40x33", 2, 4, False, 2.0, None),
    ("camera_40x33", 2, 6, True, 1.5, None),
    ("camera_40x33", 4, 3, True, 2.0, (5, 3, 30, 39)),
    ("random_19x19", 1, 3, True, 2.0, None),
    ("random_19x19", 2, 2, False, 3.0, (-2, 0, 40, 17)),
]


#: (image name, sizes, step, fast, magnif, window_size, contrast_threshold) of each PHOW case
PHOW_CASES = [
    ("camera_40x33", (4, 6, 8, 10), 2, True, 6.0, 1.5, 0.005),
    ("camera_40x33", (2, 4), 1, False, 3.0, 2.0, 0.03),
    ("random_24x29", (2, 3, 5), 2, True, 6.0, 1.5, 0.02),
]


def images() -> dict[str, np.ndarray]:
    from skimage import data

    rng = np.random.default_rng(21)
    return {
        "random_24x29": rng.random((24, 29)).astype(np.float32),
        "camera_40x33": data.camera()[200:240, 230:263].astype(np.float32) / np.float32(255),
        "random_19x19": rng.random((19, 19)).astype(np.float32),
    }


def main() -> None:
    why = vlfeat.available()
    if why:
        raise SystemExit(why)
    out = {}
    for name, image in images().items():
        out[f"image_{name}"] = image
    for k, (name, step, size, fast, window, bounds) in enumerate(CASES):
        frames, descriptors = vlfeat.matlab_dsift(out[f"image_{name}"], step, size, fast, window, bounds)
        out[f"case{k}_frames"] = frames
        out[f"case{k}_descriptors"] = descriptors
    np.savez_compressed(Path(__file__).with_name("dsift_vlfeat.npz"), **out)
    phow = {f"image_{name}": image for name, image in images().items()}
    for k, (name, sizes, step, fast, magnif, window, threshold) in enumerate(PHOW_CASES):
        frames, descriptors = vlfeat.matlab_phow(phow[f"image_{name}"], sizes, step, fast, magnif, window, threshold)
        phow[f"case{k}_frames"] = frames
        phow[f"case{k}_descriptors"] = descriptors
    np.savez_compressed(Path(__file__).with_name("phow_vlfeat.npz"), **phow)


if __name__ == "__main__":
    main()
