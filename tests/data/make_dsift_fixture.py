"""Writes dsift_vlfeat.npz: VLFeat 0.9.21's dense SIFT (as MATLAB's vl_dsift returns it) of a few images.

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


if __name__ == "__main__":
    main()
