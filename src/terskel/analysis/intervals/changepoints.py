"""Penalized least-squares change points: ruptures' compiled PELT, without `import ruptures`.

Segmentation needs one function of ruptures: `KernelCPD(kernel="linear").predict(pen=)`,
which calls the compiled `ekcpd_pelt_L2` (optimal partitioning with pruning, in C).
But `import ruptures` (or of any submodule: the package `__init__` runs first) imports
every search method and cost, and with them scipy.stats, scipy.signal and
scipy.spatial: ~1.6 s on this machine, more than the rest of a nightly one-file import
together (issue 14). The compiled module needs numpy only, so it is loaded from
ruptures' own files by path: the same code and the same breakpoints, in ~10 ms.
Should a ruptures release move it, `KernelCPD` runs as before (right, only slow);
tests/analysis/test_changepoints.py checks that both agree.

Here too the series the search runs on: bins of a few seconds per block of moving
time, and their noise (the penalty's scale).
"""

from __future__ import annotations

import functools
import importlib.util
import itertools
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

# ruptures.detection._detection.ekcpd (Cython; imports numpy only)
_KERNEL = ("detection", "_detection")
_KERNEL_MODULE = "ruptures.detection._detection.ekcpd"
# the noise is never taken below this (a treadmill's constant speed)
MIN_SIGMA = 0.05


def noise(bins: np.ndarray) -> float:
    """Noise of a piecewise-constant series: MAD of lag-2 differences (steps are rare)."""
    if bins.size < 4:
        return MIN_SIGMA
    d = np.abs(bins[2:] - bins[:-2])
    return max(float(np.median(d)) / 0.6745 / math.sqrt(2.0), MIN_SIGMA)


def block_starts(block: np.ndarray) -> list[int]:
    """Where each block (a run of equal values: moving time between pauses) starts, and
    the end."""
    return [*np.flatnonzero(np.diff(block, prepend=block[0] - 1) != 0).tolist(), block.size]


def binned(x: np.ndarray, starts: list[int], bin_s: int) -> tuple[list[np.ndarray | None], float]:
    """Per block (rows starts[k]..starts[k+1]) the means of its whole bins of `bin_s`
    rows (None: not one), and their noise."""
    per_block = []
    for lo, hi in itertools.pairwise(starts):
        n = (hi - lo) // bin_s
        per_block.append(x[lo : lo + n * bin_s].reshape(-1, bin_s).mean(axis=1) if n else None)
    all_bins = [b for b in per_block if b is not None and b.size]
    return per_block, noise(np.concatenate(all_bins)) if all_bins else MIN_SIGMA


def changes(signal: np.ndarray, pen: float, min_size: int = 2) -> list[int]:
    """End indices of the segments minimizing squared error + `pen` per change (n last).

    What `ruptures.KernelCPD(kernel="linear", min_size=min_size).fit(signal)
    .predict(pen=pen)` returns; `signal` is 1-D or (n, channels), at least 2 * min_size long.
    """
    x = np.ascontiguousarray(signal, dtype=np.double)
    x = x.reshape(-1, 1) if x.ndim == 1 else x
    pelt = _pelt_l2()
    if pelt is None:
        import ruptures as rpt  # its kernel moved: the slow import, same answer

        return [
            int(b)
            for b in rpt.KernelCPD(kernel="linear", min_size=min_size).fit(x).predict(pen=pen)
        ]
    path = pelt(x, float(pen), max(min_size, 1))
    bkps, end = [], x.shape[0]
    while end > 0:  # walk the path matrix back from the end, as KernelCPD.predict does
        bkps.append(end)
        end = int(path[end])
    return bkps[::-1]


@functools.cache
def _pelt_l2() -> Callable[..., Any] | None:
    """ruptures' compiled `ekcpd_pelt_L2`, loaded without the package; None if not found."""
    spec = importlib.util.find_spec("ruptures")  # finds, does not import
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))).joinpath(*_KERNEL)
    for path in sorted(folder.glob("ekcpd.*")):
        if path.suffix not in (".so", ".pyd"):
            continue
        kernel = importlib.util.spec_from_file_location(_KERNEL_MODULE, path)
        if kernel is None or kernel.loader is None:
            return None
        module = importlib.util.module_from_spec(kernel)
        try:
            kernel.loader.exec_module(module)
        except ImportError:
            return None
        found = getattr(module, "ekcpd_pelt_L2", None)
        return found if callable(found) else None
    return None
