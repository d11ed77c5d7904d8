"""Degrade one session's samples the way real recordings differ (robustness bench).

Pure polars/numpy on a samples frame with the columns of
`terskel.sources.units.SAMPLE_SCHEMA` (t, distance_m, speed_mps, heart_rate,
...), one activity at a time; any other column (activity_id) is carried along.
Each function returns a new frame sorted by `t`; none touches the laps (to
remove laps, pass the detector an empty laps frame: `no_laps`).

    uv run python -c "import sys; sys.path.insert(0, 'bench'); import degrade"
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

#: Fraction of the run's elapsed time at which `insert_stops` stops (even spread).
STOP_AT = (0.25, 0.5, 0.75)


def resample(samples: pl.DataFrame, every_s: int) -> pl.DataFrame:
    """Keep the first sample of every `every_s`-second bucket (smart recording).

    The kept samples keep their own values: cumulative distance stays exact,
    speed is the instantaneous value the watch would have written then.
    """
    epoch = pl.col("t").dt.epoch("ms") // (every_s * 1000)
    return (
        samples.sort("t")
        .with_columns(_bucket=epoch)
        .unique("_bucket", keep="first", maintain_order=True)
        .drop("_bucket")
    )


def drop_hr(samples: pl.DataFrame) -> pl.DataFrame:
    """The same run without a heart-rate stream."""
    return samples.with_columns(pl.lit(None, pl.Float64).alias("heart_rate"))


def _smooth(values: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average over `width` samples, NaN-aware (NaNs stay NaN)."""
    ok = np.isfinite(values)
    filled = np.where(ok, values, 0.0)
    kernel = np.ones(width)
    total = np.convolve(filled, kernel, mode="same")
    count = np.convolve(ok.astype(float), kernel, mode="same")
    with np.errstate(invalid="ignore", divide="ignore"):
        out = total / count
    return np.where(ok, out, np.nan)


def double_noise(samples: pl.DataFrame, window_s: float = 15.0) -> pl.DataFrame:
    """Speed with twice its noise around a `window_s` moving average; distance kept.

    As a phone app records: the speed stream swings, cumulative distance stays
    good. Speeds are clipped at 0. Only `speed_mps` changes.
    """
    s = samples.sort("t")
    if s.height < 3:
        return s
    secs = s["t"].dt.epoch("ms").to_numpy() / 1000.0
    step = float(np.median(np.diff(secs))) or 1.0
    width = max(3, round(window_s / step) | 1)
    speed = s["speed_mps"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    mean = _smooth(speed, width)
    noisy = np.clip(mean + 2.0 * (speed - mean), 0.0, None)
    col = pl.Series("speed_mps", noisy).fill_nan(None)
    return s.with_columns(col)


def _stops(samples: pl.DataFrame, seed: int) -> list[tuple[dt.datetime, float]]:
    """Where (first sample after the stop) and how long (20-120 s) each stop lasts."""
    rng = np.random.default_rng(seed)
    t = samples["t"]
    start, end = t[0], t[-1]
    out = []
    for frac in STOP_AT:
        at = start + (end - start) * frac
        first = samples.filter(pl.col("t") >= at)["t"][0]
        out.append((first, float(rng.integers(20, 121))))
    return out


def insert_stops(samples: pl.DataFrame, *, standing: bool, seed: int = 0) -> pl.DataFrame:
    """Three 20-120 s stops at a quarter, half and three quarters of the run.

    `standing=False`: timer paused (a gap in the timestamps, nothing recorded).
    `standing=True`: the watch keeps recording at its usual rate, speed 0,
    distance and position frozen, heart rate falling 20 bpm over the stop.
    Everything after a stop moves later by its length either way.
    """
    s = samples.sort("t")
    if s.height < 10:
        return s
    secs = s["t"].dt.epoch("ms").to_numpy() / 1000.0
    step = max(1.0, float(np.median(np.diff(secs))))
    pieces, shift, prev = [], 0.0, s["t"][0]
    for at, length in _stops(s, seed):
        part = s.filter((pl.col("t") >= prev) & (pl.col("t") < at))
        pieces.append(part.with_columns(pl.col("t") + dt.timedelta(seconds=shift)))
        if standing and part.height:
            pieces.append(_standing(part.tail(1), shift, length, step))
        shift += length
        prev = at
    rest = s.filter(pl.col("t") >= prev)
    pieces.append(rest.with_columns(pl.col("t") + dt.timedelta(seconds=shift)))
    return pl.concat(pieces, how="vertical_relaxed").sort("t")


def _standing(last: pl.DataFrame, shift: float, length: float, step: float) -> pl.DataFrame:
    """Samples every `step` s for `length` s after `last`: standing still."""
    n = max(1, int(length // step))
    offsets = [shift + step * (k + 1) for k in range(n)]
    rows = pl.concat([last] * n)
    hr = last["heart_rate"][0]
    drops = [20.0 * (k + 1) / n for k in range(n)]
    zero = [0.0] * n
    return rows.with_columns(
        pl.Series("t", [last["t"][0] + dt.timedelta(seconds=o) for o in offsets]).cast(
            last.schema["t"]
        ),
        pl.Series("speed_mps", zero),
        pl.Series("heart_rate", [None if hr is None else hr - d for d in drops], pl.Float64),
        pl.Series("cadence_spm", zero),
        pl.Series("power_w", [None if last["power_w"][0] is None else 0.0] * n, pl.Float64),
    )


def crop(
    samples: pl.DataFrame,
    first: dt.datetime,
    last: dt.datetime,
    *,
    warm_up: bool,
    cool_down: bool,
    margin_s: float = 5.0,
) -> pl.DataFrame:
    """The run without its warm-up (started on the first rep) and/or its cool-down.

    As a workout recorded from its steps alone: `first`/`last` are the start of
    the first and the end of the last labelled rep; `margin_s` of jog is kept.
    """
    margin = dt.timedelta(seconds=margin_s)
    s = samples.sort("t")
    if warm_up:
        s = s.filter(pl.col("t") >= first - margin)
    if cool_down:
        s = s.filter(pl.col("t") <= last + margin)
    return s


def no_laps(laps: pl.DataFrame) -> pl.DataFrame:
    """An empty laps frame with the same columns: the file as if no lap was written."""
    return laps.clear()
