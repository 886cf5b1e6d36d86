"""Writes filter_banks_vgg.npz: the Oxford VGG texture code's filter banks, as GNU Octave runs them.

Run once on a machine with Debian's ``octave`` and ``octave-image`` (for ``fspecial``) and a
folder holding the VGG files ``makeLMfilters.m``, ``makeRFSfilters.m`` and ``makeSfilters.m``
(www.robots.ox.ac.uk/~vgg/research/texclass/filters.html; not part of fastlin)::

    python -m tests.data.make_filter_bank_fixture PATH/TO/FOLDER

``tests/test_filter_banks.py`` compares ``fastlin.filter_bank`` with the file.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import scipy.io

BANKS = {"LM": "makeLMfilters", "RFS": "makeRFSfilters", "S": "makeSfilters"}


def main(folder: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp, "banks.mat")
        calls = " ".join(f"{name} = {fn}();" for name, fn in BANKS.items())
        names = ", ".join(repr(n) for n in BANKS)
        script = f"pkg load image; addpath('{Path(folder).resolve()}'); {calls} save('-v7', '{out}', {names});"
        subprocess.run(["octave", "--no-gui", "--quiet", "--eval", script], check=True)
        banks = scipy.io.loadmat(out)
    # MATLAB's F(:, :, k) is filter k: stored as (k, row, column)
    arrays = {name: np.ascontiguousarray(np.moveaxis(banks[name], 2, 0)) for name in BANKS}
    path = Path(__file__).with_name("filter_banks_vgg.npz")
    np.savez_compressed(path, **arrays)
    print(f"wrote {path}: " + ", ".join(f"{k} {v.shape}" for k, v in arrays.items()))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
