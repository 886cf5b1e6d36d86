"""Writes ssim_opencv24.npz: OpenCV 2.4's ``SelfSimDescriptor::compute`` on a few images.

OpenCV dropped the descriptor in version 3, so no installable build has it. This script
compiles its source file alone against a minimal stand-in for the few pieces of OpenCV it
uses (``Mat`` with ``ptr``/``at``/``step``, ``Size``, ``Point``, ``cvRound``,
``saturate_cast``; ``cv::exp`` as the C library's ``expf``, where OpenCV uses its own
polynomial, a difference of about 1e-7) and runs it. Run once, with a C++ compiler and the
file from a checkout of OpenCV's 2.4 branch (``modules/contrib/src/selfsimilarity.cpp``)::

    python -m tests.data.make_ssim_fixture PATH/TO/selfsimilarity.cpp

The OpenCV file is not part of fastlin; the fixture this writes is, and
``tests/test_self_similarity.py`` compares every tier with it.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

#: (image name, step, smallSize, largeSize, startDistanceBucket, numberOfDistanceBuckets, numberOfAngles)
CASES = [
    ("camera_64", 4, 5, 41, 3, 7, 20),  # OpenCV's defaults
    ("random_60x70", 3, 5, 41, 3, 7, 20),
    ("camera_48", 1, 5, 41, 3, 7, 20),
    ("coins_40", 1, 3, 7, 0, 3, 4),  # fastlin's defaults, for 32 x 32 images
    ("coins_40", 2, 3, 15, 1, 4, 8),
    ("astronaut_gray_32", 2, 3, 15, 1, 4, 12),
    ("camera_64", 3, 7, 31, 2, 6, 8),
]

SHIM = r"""
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>
#define CV_EXPORTS
#define CV_Assert(e) do { if (!(e)) { std::fprintf(stderr, "assertion failed: %s\n", #e); std::abort(); } } while (0)
#define CV_PI 3.1415926535897932384626433832795
#define CV_8U 0
#define CV_8S 1
#define CV_32F 5
typedef unsigned char uchar;
typedef signed char schar;
using std::vector;
inline int cvRound(double v) { return (int)std::lrint(v); }
namespace cv {
template<typename T> static inline T saturate_cast(int v) { return (T)std::min(std::max(v, -128), 127); }
struct Size { int width, height; Size() : width(0), height(0) {} Size(int w, int h) : width(w), height(h) {} };
struct Point { int x, y; Point() : x(0), y(0) {} Point(int x_, int y_) : x(x_), y(y_) {} };
struct Mat {
    int rows, cols, type_; size_t step; uchar* data; std::vector<uchar> own;
    Mat() : rows(0), cols(0), type_(0), step(0), data(0) {}
    Mat(int r, int c, int t) : rows(0), cols(0), type_(0), step(0), data(0) { create(r, c, t); }
    Mat(int r, int c, int t, void* d) : rows(r), cols(c), type_(t), step(c * elem(t)), data((uchar*)d) {}
    static size_t elem(int t) { return t == CV_32F ? 4 : 1; }
    void create(int r, int c, int t) {
        rows = r; cols = c; type_ = t; step = c * elem(t); own.assign(r * step, 0); data = &own[0];
    }
    int depth() const { return type_; }
    Size size() const { return Size(cols, rows); }
    template<typename T> T* ptr(int y) { return (T*)(data + y * step); }
    template<typename T> const T* ptr(int y) const { return (const T*)(data + y * step); }
    template<typename T> T& at(int y, int x) { return ptr<T>(y)[x]; }
};
static inline void exp(const Mat& src, Mat& dst) {
    for (int i = 0; i < src.rows * src.cols; i++) ((float*)dst.data)[i] = std::exp(((const float*)src.data)[i]);
}
class SelfSimDescriptor {
public:
    SelfSimDescriptor();
    SelfSimDescriptor(int _ssize, int _lsize, int _startDistanceBucket = 3, int _numberOfDistanceBuckets = 7,
                      int _nangles = 20);
    SelfSimDescriptor(const SelfSimDescriptor& ss);
    virtual ~SelfSimDescriptor();
    SelfSimDescriptor& operator = (const SelfSimDescriptor& ss);
    size_t getDescriptorSize() const;
    Size getGridSize(Size imgsize, Size winStride) const;
    virtual void compute(const Mat& img, vector<float>& descriptors, Size winStride = Size(),
                         const vector<Point>& locations = vector<Point>()) const;
    virtual void computeLogPolarMapping(Mat& mappingMask) const;
    virtual void SSD(const Mat& img, Point pt, Mat& ssd) const;
    int smallSize, largeSize, startDistanceBucket, numberOfDistanceBuckets, numberOfAngles;
    enum { DEFAULT_SMALL_SIZE = 5, DEFAULT_LARGE_SIZE = 41, DEFAULT_NUM_ANGLES = 20,
           DEFAULT_START_DISTANCE_BUCKET = 3, DEFAULT_NUM_DISTANCE_BUCKETS = 7 };
};
}
"""

MAIN = r"""
#include "precomp.hpp"
// stdin: H W step small large start buckets angles (int32), then H * W uint8 pixels;
// stdout: the descriptor count (int32), then the floats compute() returns
int main() {
    int p[8];
    if (std::fread(p, sizeof(int), 8, stdin) != 8) return 1;
    std::vector<uchar> pixels(p[0] * p[1]);
    if (std::fread(&pixels[0], 1, pixels.size(), stdin) != pixels.size()) return 1;
    cv::Mat img(p[0], p[1], CV_8U, &pixels[0]);
    cv::SelfSimDescriptor ss(p[3], p[4], p[5], p[6], p[7]);
    std::vector<float> out;
    ss.compute(img, out, cv::Size(p[2], p[2]));
    int n = (int)out.size();
    std::fwrite(&n, sizeof(int), 1, stdout);
    std::fwrite(&out[0], sizeof(float), n, stdout);
    return 0;
}
"""


def _images() -> dict:
    from skimage import color, data, transform

    rng = np.random.default_rng(0)
    camera, coins = data.camera(), data.coins()

    def small(img, n):
        return np.rint(transform.resize(img, (n, n), anti_aliasing=True) * 255).astype(np.uint8)

    return {
        "camera_64": small(camera, 64),
        "camera_48": small(camera, 48),
        "coins_40": small(coins, 40),
        "astronaut_gray_32": small(color.rgb2gray(data.astronaut()), 32),
        "random_60x70": rng.integers(0, 256, (60, 70)).astype(np.uint8),
    }


def main(source: str) -> None:
    images = _images()
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "precomp.hpp").write_text(SHIM)
        (tmp / "main.cpp").write_text(MAIN)
        binary = tmp / "ssim"
        subprocess.run(["g++", "-O1", "-I", str(tmp), source, str(tmp / "main.cpp"), "-o", str(binary)], check=True)
        for name, step, small, large, start, buckets, angles in CASES:
            img = images[name]
            header = np.array([*img.shape, step, small, large, start, buckets, angles], dtype=np.int32)
            result = subprocess.run([str(binary)], input=header.tobytes() + img.tobytes(), capture_output=True,
                                    check=True).stdout  # fmt: skip
            n = int(np.frombuffer(result[:4], dtype=np.int32)[0])
            values = np.frombuffer(result[4:], dtype=np.float32, count=n)
            size = angles * (buckets - start)
            key = f"{name}|{step}|{small}|{large}|{start}|{buckets}|{angles}"
            out[f"ssim {key}"] = values[: n - 1].reshape(-1, size)  # compute() adds one spare value
            out[f"image {key}"] = img
    target = Path(__file__).with_name("ssim_opencv24.npz")
    np.savez_compressed(target, **out)
    print(f"wrote {target}: {len(CASES)} cases")


if __name__ == "__main__":
    main(sys.argv[1])
