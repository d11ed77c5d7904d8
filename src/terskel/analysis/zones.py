"""Time in zone, weighted by the real time between samples, per activity and per segment.

Every zone model cuts one channel (heart rate, speed or power) at fractions of
the athlete's markers; markers arrive as columns of a frame keyed by
`activity_id` (the values in force on each activity's date), so one call
covers many activities whose markers differ. A model whose marker is missing
for an activity gives no rows for it: nothing is assumed.

A sample stands for the time until the next sample (smart recording: 1-8 s).
A gap longer than `max_gap_s` is a pause or a signal loss, not time in a
zone: such a sample counts its activity's median sample interval instead.

Calibrated band over %max-HR edges: blood lactate is the reference marker
(threshold-model.md section 2), so where the athlete's threshold band (lactate
fit, LT2 HR) reaches above the Olympiatoppen I3/I4 edge (87 % of max HR; seen
when max HR is only the best 60 s recorded), the I3/I4 cut moves up to the
band's top and the cuts above it scale by the same factor. A heart rate the
band calls "in" is then never I4-I5 ("above threshold"); the cuts below are
kept. Without a band, or with its top under 87 % of max HR, nothing moves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

AID = "activity_id"
# channel name -> sample column
CHANNELS = {"heart_rate": "heart_rate", "speed": "speed", "power": "power_w"}
# the sample columns zones read (the others are not carried through the sort)
SAMPLE_COLUMNS = ("distance_m", "speed_mps", "heart_rate", "altitude_m", "power_w")
# ... with the keys: what a zone pass reads from the store
ZONE_SAMPLE_COLUMNS = (AID, "t", *SAMPLE_COLUMNS)
MARKER_COLUMNS = (
    "max_hr", "resting_hr", "lt1_hr", "lt2_hr", "threshold_speed_mps", "threshold_power_w",
)  # fmt: skip
# the threshold band and the zone names it gives (model "band": HR, else speed)
BAND_MODEL = "band"
BAND_COLUMNS = {"heart_rate": ("hr_lo", "hr_hi"), "speed": ("speed_lo", "speed_hi")}
# the band of each channel alone (session typing weighs them): model -> sample column, band
CHANNEL_BANDS = {
    "band_hr": ("heart_rate", ("hr_lo", "hr_hi")),
    "band_pace": ("gap_speed", ("speed_lo", "speed_hi")),  # grade-adjusted where altitude
    "band_power": ("power_w", ("power_lo", "power_hi")),
}
# Grade-adjusted speed: the energy cost of running on a grade i (Minetti et al. 2002,
# J/kg/m) over the cost on the flat, grade over GRADE_SAMPLES samples, clipped to +-20 %
MINETTI = (155.4, -30.4, -43.3, 46.3, 19.5, 3.6)  # i^5 ... i^0
GRADE_SAMPLES = 10
GRADE_MIN_M = 20.0
GRADE_CLIP = 0.20

ZONE_TIME_SCHEMA: dict[str, pl.DataType] = {
    "activity_id": pl.Int64(),
    "seg_index": pl.Int32(),
    "model": pl.String(),
    "zone": pl.String(),
    "seconds": pl.Float64(),
}


@dataclass(frozen=True)
class ZoneModel:
    """Zones of one channel; each cut is (marker, fraction): the upper edge of a zone."""

    name: str
    channel: str  # heart_rate | speed | power
    zones: tuple[str, ...]
    cuts: tuple[tuple[str, float], ...]
    # (cut index, band column): that cut is at least the band's top, exclusive (a value
    # the band calls in stays below it), and the cuts above scale alike (module doc)
    floor: tuple[int, str] | None = None

    def describe(self) -> str:
        """One line: how the zones are cut."""
        edges = ", ".join(f"{f * 100:g} % {m}" for m, f in self.cuts)
        text = f"{self.name}: {'/'.join(self.zones)} cut at {edges}"
        if self.floor is None:
            return text
        i, column = self.floor
        return (
            f"{text}; the {self.zones[i]}/{self.zones[i + 1]} cut at least the threshold "
            f"band's top ({column}), the cuts above scaled alike"
        )


def _cuts(marker: str, *fractions: float) -> tuple[tuple[str, float], ...]:
    return tuple((marker, f) for f in fractions)


# The models threshold-model.md section 2 asks for.
OLYMPIATOPPEN = ZoneModel(
    "olympiatoppen", "heart_rate", ("I1", "I2", "I3", "I4", "I5"),
    _cuts("max_hr", 0.72, 0.82, 0.87, 0.92), floor=(2, "hr_hi"),
)  # fmt: skip
SEILER3 = ZoneModel("seiler3", "heart_rate", ("Z1", "Z2", "Z3"), (("lt1_hr", 1.0), ("lt2_hr", 1.0)))
# Friel's running LTHR zones (Z5a-c merged): <85, 85-89, 90-94, 95-99, >=100 % LTHR
LTHR5 = ZoneModel(
    "lthr5", "heart_rate", ("Z1", "Z2", "Z3", "Z4", "Z5"),
    _cuts("lt2_hr", 0.85, 0.90, 0.95, 1.00),
)  # fmt: skip
# speed as a fraction of threshold speed: easy, steady, sub-threshold, threshold, above
PACE = ZoneModel(
    "pace", "speed", ("P1", "P2", "P3", "P4", "P5"),
    _cuts("threshold_speed_mps", 0.78, 0.88, 0.97, 1.03),
)  # fmt: skip
POWER = ZoneModel(
    "power", "power", ("W1", "W2", "W3", "W4", "W5"),
    _cuts("threshold_power_w", 0.80, 0.90, 1.00, 1.15),
)  # fmt: skip
BUILTIN_MODELS: dict[str, ZoneModel] = {
    m.name: m for m in (OLYMPIATOPPEN, SEILER3, LTHR5, PACE, POWER)
}
_MARKER_CHANNEL = {
    "max_hr": "heart_rate",
    "lt1_hr": "heart_rate",
    "lt2_hr": "heart_rate",
    "threshold_speed_mps": "speed",
    "threshold_power_w": "power",
}


def custom_model(name: str, marker: str, cuts: Sequence[float], zones: Sequence[str]) -> ZoneModel:
    """A user's model: zones cut at fractions of one marker (threshold_pace means speed)."""
    column = "threshold_speed_mps" if marker == "threshold_pace" else marker
    return ZoneModel(name, _MARKER_CHANNEL[column], tuple(zones), _cuts(column, *cuts))


def zone_edges(model: ZoneModel, markers: dict[str, float | None]) -> list[float] | None:
    """The model's cut values for these markers and band (None when a marker is missing)."""
    values = [markers.get(marker) for marker, _ in model.cuts]
    if any(v is None for v in values):
        return None
    raw = [float(v) * f for v, (_, f) in zip(values, model.cuts, strict=True) if v is not None]
    i, scale = _floor_scale(model, markers, raw)
    return raw[:i] + [edge * scale for edge in raw[i:]]


def edge_rule(model: ZoneModel, markers: dict[str, float | None]) -> str:
    """Which rule placed the model's edges for these markers and band (empty: the plain cuts)."""
    raw = zone_edges(ZoneModel(model.name, model.channel, model.zones, model.cuts), markers)
    if model.floor is None or raw is None:
        return ""
    i, scale = _floor_scale(model, markers, raw)
    cut = f"{model.zones[i]}/{model.zones[i + 1]}"
    marker, fraction = model.cuts[i]
    plain = f"{fraction * 100:g} % of {marker.replace('_', ' ')} = {raw[i]:.0f}"
    if scale <= 1.0:
        return f"{cut} cut at {plain} (the threshold band's top is not above it)"
    return (
        f"{cut} cut at the threshold band's top {raw[i] * scale:.0f}, above {plain}: "
        f"the calibrated band wins; the cuts above scaled alike (x{scale:.3f})"
    )


def _floor_scale(
    model: ZoneModel, markers: dict[str, float | None], raw: list[float]
) -> tuple[int, float]:
    """The floored cut's index and the factor it and the cuts above move by (>= 1)."""
    if model.floor is None:
        return len(raw), 1.0
    i, column = model.floor
    top = markers.get(column)
    return i, max(1.0, float(top) / raw[i]) if top is not None and raw[i] > 0 else 1.0


def with_weights(samples: pl.LazyFrame, max_gap_s: float = 10.0) -> pl.LazyFrame:
    """Add `w`: seconds each sample stands for (pauses and signal gaps capped), and `speed`."""
    # sorted by activity, so a shift stays in the activity where the ids match: the
    # same values as `.diff().over(AID)`, without a window per activity
    dt_s = pl.when(_same(-1)).then(
        (pl.col("t").shift(-1) - pl.col("t")).dt.total_microseconds() / 1e6
    )
    dt = pl.col("dt_s")
    typical = dt.filter(dt <= max_gap_s).median().over(AID).fill_null(1.0)
    d_dist = pl.when(_same(1)).then(pl.col("distance_m").diff())
    d_t = (pl.when(_same(1)).then(pl.col("t").diff().dt.total_microseconds()) / 1e6).clip(
        lower_bound=0.5
    )
    names = set(samples.collect_schema().names())
    derived = pl.when(d_t <= max_gap_s).then((d_dist / d_t).clip(0.0, 12.0))
    return (
        samples.select(AID, "t", *(c for c in SAMPLE_COLUMNS if c in names))
        .sort(AID, "t")
        .with_columns(dt_s=dt_s)
        .with_columns(
            w=pl.when(dt.is_null() | (dt > max_gap_s) | (dt < 0)).then(typical).otherwise(dt),
            speed=pl.coalesce(pl.col("speed_mps"), derived),
            heart_rate=pl.when(pl.col("heart_rate").is_between(30, 250)).then(pl.col("heart_rate")),
        )
        .with_columns(gap_speed=pl.col("speed") * _grade_factor(samples))
        .drop("dt_s")
    )


def _same(n: int) -> pl.Expr:
    """True where the row `n` rows away is of the same activity (rows sorted by activity)."""
    return pl.col(AID).shift(n) == pl.col(AID)


def _grade_factor(samples: pl.LazyFrame) -> pl.Expr:
    """Cost of the current grade over the flat (1 where altitude or distance is missing)."""
    if not {"altitude_m", "distance_m"} <= set(samples.collect_schema().names()):
        return pl.lit(1.0)
    if_known = pl.col("altitude_m").is_not_null() & pl.col("distance_m").is_not_null()
    same = _same(GRADE_SAMPLES)
    run = pl.when(same).then(pl.col("distance_m").diff(GRADE_SAMPLES))
    rise = pl.when(same).then(pl.col("altitude_m").diff(GRADE_SAMPLES))
    grade = pl.when(if_known & (run >= GRADE_MIN_M)).then(rise / run).otherwise(0.0)
    i = grade.clip(-GRADE_CLIP, GRADE_CLIP).fill_null(0.0)
    cost = pl.lit(0.0)
    for coefficient in MINETTI:  # Horner
        cost = cost * i + coefficient
    return cost / MINETTI[-1]


def with_segments(samples: pl.LazyFrame, segments: pl.LazyFrame) -> pl.LazyFrame:
    """Add `seg_index`: the segment each sample falls in (null outside every segment).

    `samples` sorted by activity_id, t (as `with_weights` leaves them): an as-of
    join by activity needs its keys sorted only within each activity.
    """
    seg = segments.select(
        AID,
        "seg_index",
        seg_start=pl.col("start_utc").cast(pl.Datetime("us")),
        seg_end=pl.col("end_utc").cast(pl.Datetime("us")),
    ).sort(AID, "seg_start")
    joined = samples.with_columns(pl.col("t").cast(pl.Datetime("us"))).join_asof(
        seg,
        left_on="t",
        right_on="seg_start",
        by=AID,
        strategy="backward",
        check_sortedness=False,
    )
    inside = pl.col("t") < pl.col("seg_end")
    return joined.with_columns(
        seg_index=pl.when(inside).then(pl.col("seg_index")).otherwise(None)
    ).drop("seg_start", "seg_end")


def _zone_expr(model: ZoneModel) -> pl.Expr:
    """The zone name of each sample under `model` (null when value or a marker is missing)."""
    value = pl.col(CHANNELS[model.channel])
    edges = [pl.col(marker) * fraction for marker, fraction in model.cuts]
    known = value.is_not_null() & pl.all_horizontal([e.is_not_null() for e in edges])
    crossed = [value >= edge for edge in edges]
    if model.floor is not None:  # the calibrated band wins (module doc)
        i, column = model.floor
        top = pl.col(column)
        scale = pl.max_horizontal(pl.lit(1.0), top / edges[i]).fill_null(1.0)
        # above the band's top, exclusive: the band's "in" includes its top
        crossed[i] = (value >= edges[i]) & (value > top).fill_null(True)
        crossed[i + 1 :] = [value >= edge * scale for edge in edges[i + 1 :]]
    index = pl.sum_horizontal([c.cast(pl.Int32) for c in crossed])
    names = pl.Series(model.zones, dtype=pl.String)
    return pl.when(known).then(pl.lit(names).get(index))


def _channel_band(column: str, lo: str, hi: str) -> pl.Expr:
    """below | in | above one channel's band (null when the value or the band is missing)."""
    value = pl.col(column)
    zone = (
        pl.when(value < pl.col(lo))
        .then(pl.lit("below"))
        .when(value <= pl.col(hi))
        .then(pl.lit("in"))
        .otherwise(pl.lit("above"))
    )
    return pl.when(value.is_not_null() & pl.col(lo).is_not_null() & pl.col(hi).is_not_null()).then(
        zone
    )


def _band_expr() -> pl.Expr:
    """below | in | above the threshold band: by heart rate, else by speed."""
    out: pl.Expr = pl.lit(None, pl.String)
    for channel in ("speed", "heart_rate"):  # later wins: heart rate before speed
        lo, hi = BAND_COLUMNS[channel]
        out = _channel_band(CHANNELS[channel], lo, hi).fill_null(out)
    return out


def zone_time(
    samples: pl.LazyFrame,
    segments: pl.LazyFrame,
    markers: pl.LazyFrame,
    models: Sequence[ZoneModel],
    *,
    max_gap_s: float = 10.0,
) -> pl.LazyFrame:
    """Rows for `zone_time`: seconds per zone, per activity (seg_index null) and per segment.

    `markers`: activity_id plus any of MARKER_COLUMNS and the band columns
    (hr_lo, hr_hi, speed_lo, speed_hi); the band gives model "band" with
    zones below / in / above. Zones with no time give no row.
    """
    weighted = with_segments(with_weights(samples, max_gap_s), segments)
    # materialised once: every model below reads it (a lazy plan would recompute it)
    frame = weighted.join(_complete(markers), on=AID, how="inner").collect().lazy()
    zone_cols = {m.name: _zone_expr(m) for m in models} | {BAND_MODEL: _band_expr()}
    zone_cols |= {name: _channel_band(c, lo, hi) for name, (c, (lo, hi)) in CHANNEL_BANDS.items()}
    # one group-by per model over the samples; the whole activity is the sum of its
    # segment groups (seg_index null: samples outside every segment)
    per_group = pl.concat(
        [
            frame.group_by(AID, "seg_index", zone=expr)
            .agg(seconds=pl.col("w").sum())
            .with_columns(model=pl.lit(name))
            for name, expr in zone_cols.items()
        ]
    ).filter(pl.col("zone").is_not_null())
    whole = per_group.group_by(AID, "model", "zone").agg(pl.col("seconds").sum())
    per_seg = per_group.filter(pl.col("seg_index").is_not_null())
    whole = whole.with_columns(seg_index=pl.lit(None, pl.Int32))
    return (
        pl.concat([whole, per_seg.select(whole.collect_schema().names())], how="vertical_relaxed")
        .select(list(ZONE_TIME_SCHEMA))
        .cast(ZONE_TIME_SCHEMA)  # type: ignore[arg-type]
        .sort(AID, "seg_index", "model", "zone", nulls_last=False)
    )


def _complete(markers: pl.LazyFrame) -> pl.LazyFrame:
    """Markers with every expected column present (missing ones null)."""
    wanted = [*MARKER_COLUMNS, *(c for _, pair in CHANNEL_BANDS.values() for c in pair)]
    have = set(markers.collect_schema().names())
    return markers.with_columns(
        [pl.lit(None, pl.Float64).alias(c) for c in wanted if c not in have]
    ).select(AID, *[pl.col(c).cast(pl.Float64) for c in wanted])
