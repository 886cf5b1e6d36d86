"""Writes gist_lmgist.npz: Torralba's ``LMgist.m`` run in GNU Octave on a few images.

Run once on a machine with Debian's ``octave`` and ``octave-image`` and a checkout of the
LabelMe toolbox (github.com/CSAILVision/LabelMeToolbox, which holds ``features/LMgist.m``,
``features/createGabor.m`` and ``imagemanipulation/imresizecrop.m``)::

    python -m tests.data.make_gist_fixture PATH/TO/LabelMeToolbox

The toolbox is not part of fastlin; the file this writes is, and ``tests/test_gist.py``
compares every tier with it. ``LMgist`` is called as its documentation shows,
``LMgist(img, '', param)``, with ``param.imageSize`` the image's own (square) size, so its
``imresizecrop`` keeps the image as it is.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import scipy.io

#: (image name, orientationsPerScale, numberBlocks, fc_prefilt) of each case
CASES = [
    ("camera_32", (8, 8, 8, 8), 4, 4),
    ("random_32", (8, 8, 8, 8), 4, 4),
    ("astronaut_32", (8, 8, 4), 3, 4),
    ("camera_64", (8, 8, 8, 8), 4, 4),
    ("coins_64", (6, 4), 5, 2.5),
    ("camera_128", (8, 8, 8, 8), 4, 4),
]

OCTAVE = """
pkg load image
addpath('{toolbox}/features'); addpath('{toolbox}/imagemanipulation');
load('{inputs}');
gists = cell(1, numel(names));
for i = 1:numel(names)
  img = double(images{{i}});
  clear param
  param.imageSize = [size(img, 1) size(img, 2)];
  param.orientationsPerScale = orientations{{i}};
  param.numberBlocks = blocks(i);
  param.fc_prefilt = prefilter(i);
  gists{{i}} = double(LMgist(img, '', param));
end
save('-v7', '{outputs}', 'gists');
"""


def images() -> dict[str, np.ndarray]:
    from skimage import data

    rng = np.random.default_rng(22)
    return {
        "camera_32": data.camera()[120:152, 200:232],
        "random_32": rng.random((32, 32)),
        "astronaut_32": data.astronaut()[40:72, 180:212],  # colour: LMgist averages the channels
        "camera_64": data.camera()[300:364, 100:164],
        "coins_64": data.coins()[50:114, 60:124],
        "camera_128": data.camera()[::2, ::2][60:188, 60:188],
    }


def main(toolbox: str) -> None:
    pictures = images()
    with tempfile.TemporaryDirectory() as tmp:
        inputs, outputs = Path(tmp, "inputs.mat"), Path(tmp, "outputs.mat")
        cells = lambda values: np.array(values + [None], dtype=object)[:-1]  # noqa: E731 - a cell array
        scipy.io.savemat(
            inputs,
            {
                "names": cells([name for name, *_ in CASES]),
                "images": cells([pictures[name].astype(np.float64) for name, *_ in CASES]),
                "orientations": cells([np.array(o, dtype=np.float64) for _, o, _, _ in CASES]),
                "blocks": np.array([b for *_, b, _ in CASES], dtype=np.float64),
                "prefilter": np.array([f for *_, f in CASES], dtype=np.float64),
            },
        )
        script = OCTAVE.format(toolbox=Path(toolbox).resolve(), inputs=inputs, outputs=outputs)
        subprocess.run(["octave", "--no-gui", "--quiet", "--eval", script], check=True)
        gists = scipy.io.loadmat(outputs)["gists"][0]
    out = {}
    for (name, orientations, blocks, prefilter), g in zip(CASES, gists, strict=True):
        key = f"{name}|{','.join(map(str, orientations))}|{blocks}|{prefilter}"
        out[f"image {key}"] = pictures[name]
        out[f"gist {key}"] = np.asarray(g, dtype=np.float32).ravel()
    path = Path(__file__).with_name("gist_lmgist.npz")
    np.savez_compressed(path, **out)
    print(f"wrote {path} ({len(CASES)} cases)")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
