"""Change points from ruptures' compiled kernel: the same breakpoints as KernelCPD, no scipy."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import ruptures as rpt

from terskel.analysis.intervals import changepoints
from terskel.analysis.intervals.changepoints import changes


def _steps(seed: int, n: int) -> np.ndarray:
    """A noisy piecewise-constant series with a few random levels (a run's speed bins)."""
    rng = np.random.default_rng(seed)
    cuts = np.sort(rng.choice(np.arange(5, n - 5), size=rng.integers(0, 8), replace=False))
    levels = rng.uniform(2.0, 6.0, size=cuts.size + 1)
    return np.repeat(levels, np.diff(np.concatenate([[0], cuts, [n]]))) + rng.normal(0, 0.3, n)


@pytest.mark.parametrize("seed", range(12))
def test_changes_equal_kernelcpd(seed: int) -> None:
    n = [4, 5, 9, 40, 300, 1500][seed % 6]
    x = _steps(seed, n) if n > 10 else np.random.default_rng(seed).normal(3, 1, n)
    for pen in (0.05, 1.0, 8.0):
        expected = rpt.KernelCPD(kernel="linear", min_size=2).fit(x.reshape(-1, 1)).predict(pen=pen)
        assert changes(x, pen) == [int(b) for b in expected]


def test_changes_find_a_clear_step() -> None:
    x = np.concatenate([np.full(50, 3.0), np.full(50, 5.0)]) + np.tile([0.01, -0.01], 50)
    assert changes(x, 1.0) == [50, 100]


def test_fallback_when_the_kernel_is_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    """A ruptures release that moves its kernel: KernelCPD answers, the same."""
    x = _steps(3, 300)
    monkeypatch.setattr(changepoints, "_pelt_l2", lambda: None)
    assert changes(x, 1.0) == [
        int(b)
        for b in rpt.KernelCPD(kernel="linear", min_size=2).fit(x.reshape(-1, 1)).predict(pen=1.0)
    ]


def test_detection_loads_neither_ruptures_nor_scipy() -> None:
    """`import ruptures` pulls scipy (~1.6 s a nightly import, issue 14): detection must not."""
    code = (
        "import sys, numpy as np\n"
        "from terskel.analysis.intervals.changepoints import changes\n"
        "assert changes(np.r_[np.zeros(20), np.ones(20)], 0.5) == [20, 40]\n"
        "import terskel.analysis.intervals\n"
        "print(sorted(m for m in sys.modules if m in ('scipy', 'ruptures') or m.startswith(\n"
        "    ('scipy.', 'ruptures.costs', 'ruptures.detection.'))\n"
        "    and m != 'ruptures.detection._detection.ekcpd'))\n"
    )  # the compiled kernel names itself in sys.modules; its package never runs
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_changes_of_several_channels_equal_kernelcpd() -> None:
    """An (n, channels) signal is searched as one: not flattened into n * channels rows."""
    x = np.column_stack([_steps(5, 300), _steps(7, 300)])
    for pen in (1.0, 8.0):
        expected = rpt.KernelCPD(kernel="linear", min_size=2).fit(x).predict(pen=pen)
        assert changes(x, pen) == [int(b) for b in expected]
