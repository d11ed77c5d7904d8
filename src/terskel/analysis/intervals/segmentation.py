"""Effort as piecewise-constant speed: the grid, stops, change points and segment metrics.

Speed comes from cumulative distance on the 1 s grid of `samples.to_grid`
(smart recording leaves gaps of 1-8 s that the grid interpolates; a phone's
own speed field swings while its distance stays good). Standing and
timer-paused seconds are a state of their own (a *stop*): they are taken out
before the change-point search, so a stop inside an even effort changes
no effort level, and put back afterwards as stop pieces between the efforts (a
stop of `STANDING_SPLIT_S` or more ends its piece even at one level: a light or
a standing recovery, the grammar decides).

The moving seconds are averaged into bins of `BIN_S` seconds (speed from
distance over a few seconds) and fit by a penalized change-point search
(ruptures' `KernelCPD`, linear kernel: least squares, optimal partitioning in
C, loaded as intervals/changepoints.py says). The penalty per change is
`PENALTY` x sigma^2 x log(n), a BIC-like cost where sigma is the bins' own
noise, estimated per run from lag differences (robust to the steps themselves),
so a noisy phone and a clean watch get the same number of false changes.
Boundaries are then moved to the best second inside their bin.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

from terskel.analysis.intervals.cadence import snap
from terskel.analysis.intervals.changepoints import (
    MIN_SIGMA,
    binned,
    block_starts,
    changes,
)
from terskel.analysis.intervals.effort import Piece, moves_effort, per_second, with_effort
from terskel.analysis.samples import GridParams, to_grid

AID = "activity_id"
# epoch seconds stay below this until 2106: (activity ordinal, second) as one sorted key
_KEY_SPAN = 1 << 32
# seconds of moving time per bin of the change-point search
BIN_S = 5
# BIC-like cost of one change, in units of sigma^2 log(n)
PENALTY = 3.0
# below this speed over a few seconds the runner stands (GPS drift included)
STOP_MPS = 0.6
# window (s) of the speed that decides standing
STOP_WINDOW_S = 5
# a stop this long (s) inside an effort splits its piece (see `pieces`)
STANDING_SPLIT_S = 20

SEGMENT_SCHEMA: dict[str, pl.DataType] = {
    "activity_id": pl.Int64(),
    "seg_index": pl.Int32(),
    "kind": pl.String(),
    "set_no": pl.Int32(),
    "rep_no": pl.Int32(),
    "start_utc": pl.Datetime("ms"),
    "end_utc": pl.Datetime("ms"),
    "duration_s": pl.Float64(),
    "distance_m": pl.Float64(),
    "avg_speed_mps": pl.Float64(),
    "max_speed_mps": pl.Float64(),
    "avg_hr": pl.Float64(),
    "max_hr": pl.Float64(),
    "avg_hr_2nd_half": pl.Float64(),
    "avg_cadence_spm": pl.Float64(),
    "avg_power_w": pl.Float64(),
    "source": pl.String(),
}


@dataclass(frozen=True)
class Moments:
    """Prefix sums over one activity's grid rows: moving seconds, speed, speed^2."""

    n: np.ndarray
    s: np.ndarray
    ss: np.ndarray

    @classmethod
    def of(cls, v: np.ndarray, moving: np.ndarray) -> Moments:
        """Prefix sums of the moving seconds of speed `v`."""
        m = moving.astype(float)
        z = np.zeros(1)
        return cls(
            np.concatenate([z, np.cumsum(m)]),
            np.concatenate([z, np.cumsum(v * m)]),
            np.concatenate([z, np.cumsum(v * v * m)]),
        )

    def over(self, a: int, b: int) -> tuple[float, float, float]:
        """Moving seconds, sum of speed and of speed^2 over rows a..b."""
        return (
            float(self.n[b] - self.n[a]),
            float(self.s[b] - self.s[a]),
            float(self.ss[b] - self.ss[a]),
        )


@dataclass(frozen=True)
class Track:
    """One activity's grid as arrays, with its pieces and noise."""

    ts: np.ndarray  # epoch seconds per grid row
    block: np.ndarray
    v: np.ndarray  # m/s from distance, per grid row
    pieces: list[Piece]
    sigma: float  # noise of the binned speed (m/s)
    moving: np.ndarray  # not a stop, per grid row
    graded: bool = False  # efforts from the grade-adjusted speed (see `graded`)

    @property
    def moments(self) -> Moments:
        """Prefix sums of the moving seconds (see `Moments`)."""
        return Moments.of(self.v, self.moving)


def done(lf: pl.LazyFrame, engine: Literal["auto", "in-memory"] = "auto") -> pl.LazyFrame:
    """Materialise a stage that several later branches read."""
    return lf.collect(engine=engine).lazy()


def grid(samples: pl.LazyFrame, p: GridParams) -> pl.LazyFrame:
    """The 1 s grid (see `samples.to_grid`) with `pos` (row in the activity),
    `cd` (cumulative distance), `aord` (activity ordinal) and `key` (sort key)."""
    return (
        to_grid(samples, p)
        .select(
            AID,
            "ts",
            "block",
            "paused",
            "speed_raw",
            "speed",
            "heart_rate",
            "cadence_spm",
            "power_w",
            "altitude_m",
            pos=pl.int_range(pl.len()).over(AID),
            cd=pl.col("speed_raw").cum_sum().over(AID),
        )
        .with_columns(
            aord=pl.col(AID).rle_id().cast(pl.Int64),
            key=pl.col(AID).rle_id().cast(pl.Int64) * _KEY_SPAN + pl.col("ts"),
        )
    )


def _moving_mean(x: np.ndarray, w: int) -> np.ndarray:
    c = np.concatenate([[0.0], np.cumsum(x)])
    lo = np.clip(np.arange(x.size) - w // 2, 0, x.size)
    hi = np.clip(lo + w, 0, x.size)
    out: np.ndarray = (c[hi] - c[lo]) / np.maximum(hi - lo, 1)
    return out


def stops(v: np.ndarray, paused: np.ndarray) -> np.ndarray:
    """Seconds the runner stands or the timer is paused (a state, never an effort)."""
    out: np.ndarray = paused | (_moving_mean(v, STOP_WINDOW_S) < STOP_MPS)
    return out


def _changes(bins: np.ndarray, sigma: float) -> list[int]:
    """Bin indices where the effort changes (penalized least squares)."""
    if bins.size < 4:
        return []
    pen = PENALTY * sigma**2 * np.log(bins.size)
    return changes(bins, pen, min_size=2)[:-1]


def _refine(mv: np.ndarray, bounds: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Each change moved to the second within a bin that best splits two levels.

    The levels are the means a little away from the change on either side
    (BIN_S..4 BIN_S seconds); the split minimises the squared error of the
    seconds around it. All changes at once, from prefix sums.
    """
    if bounds.size == 0:
        return bounds
    c1 = np.concatenate([[0.0], np.cumsum(mv[lo:hi])])
    c2 = np.concatenate([[0.0], np.cumsum(mv[lo:hi] ** 2)])
    n = hi - lo
    b = bounds - lo

    def mean(a: np.ndarray, z: np.ndarray) -> np.ndarray:
        a, z = np.clip(a, 0, n), np.clip(z, 0, n)
        out: np.ndarray = (c1[z] - c1[a]) / np.maximum(z - a, 1)
        return out

    mu_l, mu_r = mean(b - 4 * BIN_S, b - BIN_S), mean(b + BIN_S, b + 4 * BIN_S)
    w0, w1 = np.clip(b - 2 * BIN_S, 0, n), np.clip(b + 2 * BIN_S, 0, n)
    s = np.clip(b[:, None] + np.arange(-BIN_S, BIN_S + 1)[None, :], 1, n - 1)
    s = np.clip(s, w0[:, None], w1[:, None])

    def sq(a: np.ndarray, z: np.ndarray, mu: np.ndarray) -> np.ndarray:
        k = z - a
        out: np.ndarray = (c2[z] - c2[a]) - 2 * mu * (c1[z] - c1[a]) + mu * mu * k
        return out

    cost = sq(w0[:, None], s, mu_l[:, None]) + sq(s, w1[:, None], mu_r[:, None])
    best = s[np.arange(b.size), np.argmin(cost, axis=1)]
    out: np.ndarray = best + lo
    return out


def _bounds(mv: np.ndarray, mblock: np.ndarray) -> tuple[list[int], float]:
    """Change points of series `mv` (moving-second indices) per block of moving
    seconds, and the series' noise."""
    starts = block_starts(mblock)
    per_block, sigma = binned(mv, starts, BIN_S)
    out: list[int] = []
    for (lo, hi), bins in zip(itertools.pairwise(starts), per_block, strict=True):
        if lo > 0:
            out.append(lo)
        if bins is None:
            continue
        raw = np.array([lo + c * BIN_S for c in _changes(bins, sigma)], dtype=np.int64)
        out.extend(int(x) for x in _refine(mv, raw, lo, hi))
    return sorted(set(out)), sigma


def pieces(
    v: np.ndarray, stop: np.ndarray, block: np.ndarray, effort: np.ndarray | None = None
) -> tuple[list[Piece], float]:
    """Efforts and stops (`stop`: see `stops`) of one activity, in order, covering
    every grid row, and the noise of the series cut: the efforts change where the
    speed does, or where `effort` (per moving second, see `graded`) does when given."""
    moving = np.flatnonzero(~stop)
    if moving.size == 0:
        return [Piece(0, v.size, 0.0, 0.0, 0.0, True, float(v.size))], MIN_SIGMA
    mv = v[moving]
    cuts, sigma = _bounds(mv if effort is None else effort, block[moving])
    # a long stop ends its piece (module docstring); a sliver before it joins the last
    gaps = set((np.flatnonzero(np.diff(moving) > STANDING_SPLIT_S) + 1).tolist())
    edges = [0]
    for c in sorted({*cuts, *gaps, moving.size}):  # no effort shorter than a bin
        if c - edges[-1] >= BIN_S or (c == moving.size and len(edges) == 1):
            edges.append(c)
        elif c in gaps and len(edges) > 1:
            edges[-1] = c
    edges[-1] = moving.size
    out: list[Piece] = []
    cursor = 0
    for a, b in itertools.pairwise(edges):
        if b <= a:
            continue
        g0, g1 = int(moving[a]), int(moving[b - 1]) + 1
        if g0 > cursor:
            out.append(Piece(cursor, g0, 0.0, 0.0, float(v[cursor:g0].sum()), True, g0 - cursor))
        m = float(b - a)
        d = float(mv[a:b].sum())
        out.append(Piece(g0, g1, d / m, m, d, False, float(g1 - g0) - m))
        cursor = g1
    if cursor < v.size:
        out.append(Piece(cursor, v.size, 0.0, 0.0, float(v[cursor:].sum()), True, v.size - cursor))
    return out, sigma


Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def arrays(g: pl.DataFrame) -> dict[int, Arrays]:
    """Per activity of the grid (sorted by activity, ts): ts, block, speed, paused,
    altitude, cadence (NaN where not recorded)."""
    aid = g[AID].to_numpy()
    ts = g["ts"].to_numpy()
    block = g["block"].to_numpy()
    v = g["speed_raw"].fill_null(0.0).to_numpy()
    paused = g["paused"].fill_null(False).to_numpy()
    alt = g["altitude_m"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    cad = g["cadence_spm"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    cut = np.flatnonzero(np.diff(aid) != 0) + 1
    return {
        int(aid[lo]): (ts[lo:hi], block[lo:hi], v[lo:hi], paused[lo:hi], alt[lo:hi], cad[lo:hi])
        for lo, hi in zip([0, *cut.tolist()], [*cut.tolist(), aid.size], strict=True)
    }


def graded(
    v: np.ndarray,
    stop: np.ndarray,
    block: np.ndarray,
    alt: np.ndarray,
    ps: list[Piece],
    sigma: float,
) -> np.ndarray | None:
    """The grade-adjusted speed per moving second (`effort.per_second`) where the
    efforts change with it, not the speed (hill reps run up, jogged down); else None.
    Both tests in the speed's bin noise `sigma`: the grade moves the speed pieces'
    efforts by more than it (`moves_effort`: the hills matter), and the graded bins
    are no noisier for their level (the altitude is good enough: GPS jitter is not)."""
    if not moves_effort(ps, sigma):
        return None
    moving = np.flatnonzero(~stop)
    effort = per_second(v[moving], alt[moving])
    if effort is None:
        return None
    # relative to the mean level: the grade's factor scales a climb's noise with its speed
    e_noise = binned(effort, block_starts(block[moving]), BIN_S)[1] / max(effort.mean(), 0.1)
    return effort if e_noise <= sigma / max(v[moving].mean(), 0.1) else None


def track(a: Arrays) -> Track:
    """One activity's pieces (boundaries a GPS dip misplaced moved to the cadence
    step, see `cadence`; on hills that change the efforts, where the grade-adjusted
    speed changes, see `graded`; with their effort, see `effort`) and noise."""
    ts, block, v, paused, alt, cad = a
    stop = stops(v, paused)
    ps, sigma = pieces(v, stop, block)
    ps = with_effort(snap(ps, v, ~stop, cad, sigma), alt)
    effort = graded(v, stop, block, alt, ps, sigma)
    if effort is not None:
        ps = pieces(v, stop, block, effort)[0]
        ps = with_effort(snap(ps, v, ~stop, cad, sigma), alt)
    return Track(ts, block, v, ps, sigma, ~stop, effort is not None)


def metrics(units: pl.LazyFrame, g: pl.LazyFrame, source: pl.LazyFrame) -> pl.LazyFrame:
    """Summarise grid seconds per unit (activity_id, start ts, kind, set_no, rep_no)."""
    acts = g.filter(pl.col("pos") == 0).select(AID, "aord")
    u = (
        units.join(acts, on=AID, how="inner")
        .sort(AID, "start")
        .with_columns(
            seg_index=pl.int_range(pl.len()).over(AID).cast(pl.Int32),
            seg=pl.int_range(pl.len()),
            key=pl.col("aord") * _KEY_SPAN + pl.col("start"),
        )
    )
    # grid and units both in (activity, second) order on one key: each second
    # falls in the last unit started at or before it, if of its own activity
    joined = g.join_asof(
        u.select("key", "seg", seg_aid=AID).with_columns(pl.col("key").set_sorted()),
        on="key",
        strategy="backward",
    ).with_columns(seg=pl.when(pl.col("seg_aid") == pl.col(AID)).then(pl.col("seg")))
    half = pl.col("ts") >= (pl.col("ts").min() + pl.col("ts").max()) / 2
    agg = joined.group_by("seg").agg(
        t_first=pl.col("ts").min(),
        t_last=pl.col("ts").max(),
        # timer time: auto-paused seconds do not count (a lap's timer_s)
        duration_s=(~pl.col("paused")).sum().cast(pl.Float64),
        distance_m=pl.col("speed_raw").sum(),
        max_speed_mps=pl.col("speed").max(),
        avg_hr=pl.col("heart_rate").mean(),
        max_hr=pl.col("heart_rate").max(),
        avg_hr_2nd_half=pl.col("heart_rate").filter(half).mean(),
        avg_cadence_spm=pl.col("cadence_spm").mean(),
        avg_power_w=pl.col("power_w").mean(),
    )
    to_dt = pl.from_epoch
    return (
        u.join(agg, on="seg", how="inner")
        .join(source, on=AID, how="left")
        .sort(AID, "seg_index")
        .with_columns(seg_index=pl.int_range(pl.len()).over(AID).cast(pl.Int32))
        .select(
            AID,
            "seg_index",
            "kind",
            "set_no",
            "rep_no",
            start_utc=to_dt("t_first", time_unit="s").cast(pl.Datetime("ms")),
            end_utc=to_dt(pl.col("t_last") + 1, time_unit="s").cast(pl.Datetime("ms")),
            duration_s="duration_s",
            distance_m="distance_m",
            avg_speed_mps=pl.col("distance_m") / pl.col("duration_s"),
            max_speed_mps="max_speed_mps",
            avg_hr="avg_hr",
            max_hr="max_hr",
            avg_hr_2nd_half="avg_hr_2nd_half",
            avg_cadence_spm="avg_cadence_spm",
            avg_power_w="avg_power_w",
            source="source",
        )
        .cast(SEGMENT_SCHEMA)  # type: ignore[arg-type]
    )
