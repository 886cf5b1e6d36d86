"""VLFeat 0.9.21 itself (Debian's libvlfeat-dev), through a few lines of C built on first use.

The dense-SIFT setters and getters are inline functions of ``vl/dsift.h``, not symbols of
``libvl.so``, so ctypes alone cannot reach them: :func:`matlab_dsift` compiles a small C
function against the headers (with the machine's C compiler) that does what MATLAB's
``vl_dsift`` mex does with its column-major image. ``available()`` says why not when the
library, its headers or a compiler is missing; tests skip then and use the checked-in
fixture instead.
"""

from __future__ import annotations

import ctypes
import functools
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

SOURCE = r"""
#include <math.h>
#include <stdlib.h>
#include <vl/dsift.h>
#include <vl/imopv.h>
#include <vl/mathop.h>

/* MATLAB's vl_imsmooth(I, sigma) for single I of M rows and N columns given column-major (the mex's
   Gaussian path: its float kernel, truncated at ceil(4 sigma), padding by continuity, two transposing
   passes of vl_imconvcol_vf). out: M x N column-major. */
void matlab_imsmooth(const float *data, int M, int N, double sigma, float *out)
{
  if (sigma < 0.01) { for (long i = 0; i < (long)M * N; ++i) out[i] = data[i]; return; }
  vl_size W = ceil(4.0 * sigma);
  float *filter = malloc(sizeof(float) * (2 * W + 1)), acc = 0;
  for (vl_index j = 0; j < (vl_index)(2 * W + 1); ++j) {
    float z = ((float) j - W) / (sigma + VL_EPSILON_F);
    filter[j] = exp(- 0.5 * (z * z));
    acc += filter[j];
  }
  for (vl_index j = 0; j < (vl_index)(2 * W + 1); ++j) filter[j] /= acc;
  float *temp = malloc(sizeof(float) * M * N);
  int flags = VL_PAD_BY_CONTINUITY | VL_TRANSPOSE;
  vl_imconvcol_vf(temp, N, data, M, N, M, filter, -(vl_index)W, W, 1, flags);
  vl_imconvcol_vf(out, M, temp, N, M, N, filter, -(vl_index)W, W, 1, flags);
  free(temp);
  free(filter);
}

/* MATLAB's vl_dsift(I, 'Step', step, 'Size', size, ['Fast'], 'WindowSize', w, 'Bounds', b, 'Norm',
   'FloatDescriptors') / 512 for I of M rows and N columns given column-major: frames 3 x n (x+1, y+1, norm),
   descriptors in MATLAB's order. bounds: 0-based (min_x, min_y, max_x, max_y), x = column, or NULL. */
int matlab_dsift(const float *data, int M, int N, int step, int size, int fast, double window_size,
                 const int *bounds, double *frames, float *descriptors, int capacity)
{
  VlDsiftFilter *f = vl_dsift_new(M, N);
  VlDsiftDescriptorGeometry geom = *vl_dsift_get_geometry(f);
  geom.binSizeX = size;
  geom.binSizeY = size;
  vl_dsift_set_geometry(f, &geom);
  vl_dsift_set_steps(f, step, step);
  if (bounds)
    vl_dsift_set_bounds(f, bounds[1] > 0 ? bounds[1] : 0, bounds[0] > 0 ? bounds[0] : 0,
                        bounds[3] < M - 1 ? bounds[3] : M - 1, bounds[2] < N - 1 ? bounds[2] : N - 1);
  vl_dsift_set_flat_window(f, fast);
  vl_dsift_set_window_size(f, window_size);
  int n = vl_dsift_get_keypoint_num(f), d = vl_dsift_get_descriptor_size(f);
  if (n > capacity) { vl_dsift_delete(f); return -1; }
  vl_dsift_process(f, data);
  VlDsiftKeypoint const *k = vl_dsift_get_keypoints(f);
  float const *raw = vl_dsift_get_descriptors(f);
  for (int i = 0; i < n; ++i) {
    frames[3 * i] = k[i].y + 1;
    frames[3 * i + 1] = k[i].x + 1;
    frames[3 * i + 2] = k[i].norm;
    vl_dsift_transpose_descriptor(descriptors + d * i, raw + d * i, geom.numBinT, geom.numBinX, geom.numBinY);
  }
  vl_dsift_delete(f);
  return n;
}
"""


@functools.cache
def _library() -> ctypes.CDLL | str:
    """The built helper, or the reason it cannot be built here."""
    if not Path("/usr/include/vl/dsift.h").exists():
        return "VLFeat's headers are not installed (Debian: apt-get install libvlfeat-dev)"
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        return "no C compiler to build the VLFeat helper"
    folder = Path(tempfile.mkdtemp(prefix="fastlin-vlfeat-"))
    (folder / "oracle.c").write_text(SOURCE)
    out = subprocess.run(
        [compiler, "-O2", "-shared", "-fPIC", str(folder / "oracle.c"), "-o", str(folder / "oracle.so"), "-lvl"],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        return f"the VLFeat helper did not build: {out.stderr.strip()[:300]}"
    lib = ctypes.CDLL(str(folder / "oracle.so"))
    lib.matlab_dsift.restype = ctypes.c_int
    return lib


def matlab_imsmooth(image, sigma):
    """MATLAB's ``vl_imsmooth(single(image), sigma)`` (the mex's Gaussian kernel, padding by continuity)."""
    lib = _library()
    if isinstance(lib, str):
        raise RuntimeError(lib)
    M, N = image.shape
    data = np.asfortranarray(image, dtype=np.float32)
    out = np.zeros((M, N), dtype=np.float32, order="F")
    lib.matlab_imsmooth(
        data.ctypes.data_as(ctypes.c_void_p), M, N, ctypes.c_double(sigma), out.ctypes.data_as(ctypes.c_void_p)
    )
    return np.ascontiguousarray(out)


def matlab_phow(image, sizes=(4, 6, 8, 10), step=2, fast=True, magnif=6.0, window_size=1.5, contrast_threshold=0.005):
    """``[F, D] = vl_phow(single(image), 'FloatDescriptors', true, ...)`` for a gray image, D / 512:
    ``vl_phow.m``'s steps (0.9.21) over VLFeat's own smoothing and dense SIFT.

    Returns (frames (n, 4): x, y 1-based, the norm, the bin size; descriptors (n, 128) float32).
    """
    frames, descriptors = [], []
    for size in sizes:
        off = int(np.floor(1 + 1.5 * (max(sizes) - size)))  # MATLAB's 1-based bounds [off off +inf +inf]
        smoothed = matlab_imsmooth(image, size / magnif)
        f, d = matlab_dsift(smoothed, step, size, fast, window_size, bounds=(off - 1, off - 1, 2**30, 2**30))
        d[f[:, 2] < contrast_threshold] = 0
        frames.append(np.column_stack([f, np.full(len(f), float(size))]))
        descriptors.append(d)
    return np.concatenate(frames), np.concatenate(descriptors)


def available() -> str | None:
    """None when VLFeat can be called; else why not."""
    lib = _library()
    return lib if isinstance(lib, str) else None


def matlab_dsift(image, step, size, fast=False, window_size=2.0, bounds=None):
    """MATLAB's ``[F, D] = vl_dsift(single(image), ...)`` with 'Norm' and 'FloatDescriptors', D / 512.

    Returns (frames (n, 3): x, y 1-based and the norm; descriptors (n, 128) float32).
    """
    lib = _library()
    if isinstance(lib, str):
        raise RuntimeError(lib)
    M, N = image.shape
    data = np.asfortranarray(image, dtype=np.float32)  # MATLAB's column-major buffer
    capacity = M * N + 1
    frames = np.zeros((capacity, 3))
    descriptors = np.zeros((capacity, 128), dtype=np.float32)
    b = None if bounds is None else (ctypes.c_int * 4)(*bounds)
    n = lib.matlab_dsift(
        data.ctypes.data_as(ctypes.c_void_p), M, N, step, size, int(fast), ctypes.c_double(window_size), b,
        frames.ctypes.data_as(ctypes.c_void_p), descriptors.ctypes.data_as(ctypes.c_void_p), capacity,
    )  # fmt: skip
    return frames[:n], descriptors[:n]
