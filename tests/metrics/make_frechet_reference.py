#!/usr/bin/env python3
"""Reference values for tests/metrics/frechet.cpp, computed the way pytorch-fid does it.

Run with Debian's SciPy (python3-scipy):

    /usr/bin/python3 tests/metrics/make_frechet_reference.py

The covariances are built from small hard-coded factors (C = A A^T is symmetric PSD), the same
numbers that frechet.cpp writes out, so the test needs no Python. The matrices of each pair do
not commute, which is where a naive sqrt(C1) sqrt(C2) would go wrong. The script prints the
distance of each pair with 17 significant digits, to be pasted into frechet.cpp.
"""

import numpy as np
from scipy import linalg

CASES = {
    # Two full-rank 3x3 covariances.
    "full_rank": dict(
        mu1=[0.5, -1.0, 2.0],
        a1=[[1.0, 0.2, 0.0], [0.3, 1.5, -0.4], [-0.2, 0.1, 0.8]],
        mu2=[0.0, 0.25, 1.5],
        a2=[[0.7, -0.3, 0.5], [0.0, 1.1, 0.2], [0.4, 0.0, 1.3]],
    ),
    # A rank-2 4x4 covariance against a full-rank one: the product C1 C2 is singular.
    "singular": dict(
        mu1=[1.0, 0.0, -0.5, 0.25],
        a1=[[1.0, 0.0], [0.5, 1.0], [-1.0, 0.5], [0.25, -0.75]],
        mu2=[0.75, 0.5, -0.5, 0.0],
        a2=[[1.2, 0.1, 0.0, 0.3], [0.0, 0.9, -0.2, 0.0], [0.4, 0.0, 1.0, 0.1], [0.0, -0.3, 0.2, 0.8]],
    ),
}


def frechet_distance(mu1, c1, mu2, c2):
    """pytorch-fid's formula: ||mu1 - mu2||^2 + Tr(C1) + Tr(C2) - 2 Tr(sqrtm(C1 C2))."""
    covmean = linalg.sqrtm(c1.dot(c2))
    covmean = covmean.real  # sqrtm may leave tiny imaginary parts from rounding
    diff = mu1 - mu2
    return diff.dot(diff) + np.trace(c1) + np.trace(c2) - 2 * np.trace(covmean)


def main():
    for name, case in CASES.items():
        a1, a2 = np.array(case["a1"]), np.array(case["a2"])
        c1, c2 = a1 @ a1.T, a2 @ a2.T
        assert not np.allclose(c1 @ c2, c2 @ c1), name + ": the covariances commute"
        d = frechet_distance(np.array(case["mu1"]), c1, np.array(case["mu2"]), c2)
        print(f"{name}: {d:.17g}")


if __name__ == "__main__":
    main()
