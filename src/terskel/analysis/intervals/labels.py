"""Labels a runner would write: `6x400m/200m`, `4x10min/1min + 10x200m/200m`,
`400-800-1200-800-400m`, `fartlek 12 x 45-90s`, `continuous`.

Each part of a session is written in the runner's dimension, for reps and
recoveries separately: time or distance, whichever repeats more exactly and
is rounder (see `dimension`). Recoveries are elapsed time (a stopped timer at a
standing recovery still counts).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from terskel.analysis.intervals.dimension import (
    CV_WEIGHT,
    NOT_ROUND_COST,
    ROUND_M,
    ROUND_S,
    nearest,
    rep_and_rest,
)

if TYPE_CHECKING:
    from terskel.analysis.intervals.segmentation import Track
    from terskel.analysis.intervals.structure import Parse

AID = "activity_id"

LABEL_SCHEMA: dict[str, pl.DataType] = {
    "activity_id": pl.Int64(),
    "label": pl.String(),
    "source": pl.String(),
    "n_work": pl.UInt32(),
    "confidence": pl.Float64(),
}


def _range_s(s: list[float]) -> str:
    lo, hi = min(s), max(s)
    if hi >= 180:
        a, b = max(1, round(lo / 60)), max(1, round(hi / 60))
        return f"{a}-{b}min" if a != b else f"{a}min"
    a, b = 5 * max(1, round(lo / 5)), 5 * max(1, round(hi / 5))
    return f"{a}-{b}s" if a != b else f"{a}s"


def _ladder_cost(x: list[float], near: list[tuple[int, float]]) -> float:
    """What a ladder's rounding in one dimension costs: the share of values off the
    runner's list, plus the spread of the rounding errors around their common offset.

    Both boundaries of every rep lag alike (a lap pressed late, a change point a
    bin off), so the prescribed dimension is off its round values by one offset:
    6-5-4-3-2 min run as 353-292-234-174-114 s is 6-8 s short each, while its
    distances (1182-951-794-605-389 m) are off by -49 to +5 m.
    """
    off = sum(c >= NOT_ROUND_COST for _, c in near) / len(near)
    err = np.asarray([xi - v for xi, (v, _) in zip(x, near, strict=True)])
    # spread: mean absolute deviation without the largest (one rep cut short at a
    # boundary does not decide; a MAD would be 0 on durations quantized by 5 s
    # recording), x 1.25 for a standard deviation
    dev = np.sort(np.abs(err - np.median(err)))[:-1]
    spread = 1.25 * float(dev.mean())
    return off * NOT_ROUND_COST + CV_WEIGHT * spread / max(float(np.mean(x)), 1.0)


def _ladder(s: list[float], m: list[float]) -> str:
    """`400-800-1200-800-400m` or `1-2-3-2-1min`: the dimension whose values are
    round, off them by one common offset (see `_ladder_cost`)."""
    ms = [nearest(x, ROUND_M, 50 if x < 2000 else 100, exact=False) for x in m]
    ss = [nearest(x, ROUND_S, 10 if x < 600 else 30, exact=False) for x in s]
    if _ladder_cost(m, ms) <= _ladder_cost(s, ss):
        return "-".join(str(v) for v, _ in ms) + "m"
    if all(v % 60 == 0 for v, _ in ss):
        return "-".join(str(v // 60) for v, _ in ss) + "min"
    return "-".join(str(v) for v, _ in ss) + "s"


def part_text(
    kind: str,
    rep_s: list[float],
    rep_m: list[float],
    rec_s: list[float],
    rec_m: list[float],
    laps: bool,
    single: bool,
    sample_s: float = 1.0,
) -> str:
    """One part of a label: `6x400m/200m`, a ladder, a fartlek or a lone `1x1km`
    (`sample_s`: the recording interval, see `dimension.options`)."""
    if kind == "fartlek":
        return f"fartlek {len(rep_s)} x {_range_s(rep_s)}"
    if kind == "ladder":
        return _ladder(rep_s, rep_m)
    rep, rec = rep_and_rest(rep_s, rep_m, rec_s, rec_m, laps, sample_s)
    rec = "/" + rec if rec else ""
    return f"{rep}{rec}" if single else f"{len(rep_s)}x{rep}{rec}"


def join_parts(texts: list[str], single: bool) -> str:
    """Parts joined as a runner writes them (a test protocol of singles: commas)."""
    if not texts:
        return "continuous"
    return ", ".join(texts) if single else " + ".join(texts)


def parse_label(parse: Parse, track: Track) -> str:
    """The label of one reading (for the alternatives of `--explain`)."""
    cd = np.concatenate([[0.0], np.cumsum(track.v)])
    texts = []
    for part in parse.parts:
        reps = part.reps
        rec_s = [float(b.start - a.end) for a, b in itertools.pairwise(reps)]
        rec_m = [float(cd[b.start] - cd[a.end]) for a, b in itertools.pairwise(reps)]
        texts.append(
            part_text(
                part.kind,
                [r.moving_s for r in reps],
                [r.dist for r in reps],
                rec_s,
                rec_m,
                False,
                False,
            )
        )
    return join_parts(texts, False)


def _activity_label(rows: list[dict[str, object]]) -> tuple[str, int]:
    """Label and rep count of one activity's segments (in order)."""
    sets: dict[int, dict[str, list[float]]] = {}
    kinds: dict[int, str] = {}
    laps = any(r["source"] == "laps" for r in rows)
    sample_s = float(rows[0].get("sample_s") or 1.0) if rows else 1.0  # type: ignore[arg-type]
    for r in rows:
        no = r["set_no"]
        if no is None:
            continue
        s = sets.setdefault(int(no), {"ws": [], "wm": [], "rs": [], "rm": []})  # type: ignore[call-overload]
        if r["kind"] == "work":
            s["ws"].append(float(r["duration_s"] or 0.0))  # type: ignore[arg-type]
            s["wm"].append(float(r["distance_m"] or 0.0))  # type: ignore[arg-type]
            kinds[int(no)] = str(r.get("set_kind") or "set")  # type: ignore[call-overload]
        elif r["kind"] == "recovery":
            if r.get("end_utc") is not None and r.get("start_utc") is not None:
                span = (r["end_utc"] - r["start_utc"]).total_seconds()  # type: ignore[operator]
            else:
                span = r["duration_s"] or 0.0
            s["rs"].append(float(span))
            s["rm"].append(float(r["distance_m"] or 0.0))  # type: ignore[arg-type]
    n_work = sum(len(s["ws"]) for s in sets.values())
    single = len(sets) > 1 and all(len(s["ws"]) == 1 for s in sets.values())
    if not single:
        _pair_extras(sets, kinds)
    parts: dict[int, _Part] = {}
    for no in sorted(sets):
        s = sets[no]
        if not s["ws"]:
            continue
        n = len(s["ws"])
        # recoveries inside the set; a lone rep (a protocol step) keeps its own
        rs, rm = (s["rs"], s["rm"]) if single else (s["rs"][: n - 1], s["rm"][: n - 1])
        # a lone extra's lap is one value: within 1 s of a whole 5 s by chance two times
        # in five, it shows no watch-ended step (a protocol of singles shows it together)
        exact = laps and (single or kinds[no] != "extra")
        parts[no] = _Part(s["ws"], s["wm"], rs, rm, exact)
    texts = {no: _part_text(kinds[no], p, single, sample_s) for no, p in parts.items()}
    if not single:
        texts.update(_repeated_sets(parts, kinds, texts, sample_s))
    return join_parts([texts[no] for no in sorted(texts)], single), n_work


@dataclass(frozen=True)
class _Part:
    """One set's efforts as the label reads them: reps and the recoveries inside it."""

    rep_s: list[float]
    rep_m: list[float]
    rec_s: list[float]
    rec_m: list[float]
    exact: bool


def _part_text(kind: str, p: _Part, single: bool, sample_s: float) -> str:
    return part_text(kind, p.rep_s, p.rep_m, p.rec_s, p.rec_m, p.exact, single, sample_s)


def _median_se(x: list[float]) -> float:
    """Robust standard error of a median: 1.2533 x 1.4826 MAD / sqrt n."""
    a = np.asarray(x, dtype=float)
    mad = float(np.median(np.abs(a - np.median(a))))
    return 1.2533 * 1.4826 * mad / math.sqrt(a.size)


def _agree(a: list[float], b: list[float]) -> bool:
    """Two medians within twice their combined robust standard error."""
    diff = abs(float(np.median(a)) - float(np.median(b)))
    return diff <= 2.0 * math.hypot(_median_se(a), _median_se(b))


def _repeated_sets(
    parts: dict[int, _Part], kinds: dict[int, str], texts: dict[int, str], sample_s: float
) -> dict[int, str]:
    """Sets of one session that repeat one prescription (`9x45s/90s + 9x45s/90s`),
    each written from the efforts of all of them (each keeps its own count).

    Sets whose reps read alike (the same text, or durations and distances whose
    medians agree: 40 s and 45 s from reps that scatter 30-55 s) and whose
    recoveries agree (medians within twice their combined standard error:
    `7x30s/1min + 13x30s/90s` stays two) are one prescription run again. One
    set's recoveries are scattered (walked, stood on), so its median alone falls
    either side of a rounding tie (90 s / 2 min at ~103 s) by chance, one rep
    boundary deciding; the pooled efforts decide once for all of them.
    """

    def rep_text(no: int) -> str:
        return texts[no].split("x", 1)[-1].split("/")[0]

    def alike(a: _Part, na: int, b: _Part, nb: int) -> bool:
        reps = rep_text(na) == rep_text(nb) or (
            _agree(a.rep_s, b.rep_s) and _agree(a.rep_m, b.rep_m)
        )
        return reps and _agree(a.rec_s, b.rec_s)

    groups: list[list[int]] = []
    for no, text in texts.items():
        if kinds[no] != "set" or not parts[no].rec_s or "/" not in text:
            continue
        group = next((g for g in groups if alike(parts[g[0]], g[0], parts[no], no)), None)
        if group is None:
            groups.append([no])
        else:
            group.append(no)
    out: dict[int, str] = {}
    for nos in groups:
        if len(nos) < 2:
            continue
        pooled = _Part(
            [x for no in nos for x in parts[no].rep_s],
            [x for no in nos for x in parts[no].rep_m],
            [x for no in nos for x in parts[no].rec_s],
            [x for no in nos for x in parts[no].rec_m],
            all(parts[no].exact for no in nos),
        )
        text = _part_text("set", pooled, True, sample_s)
        out.update({no: f"{len(parts[no].rep_s)}x{text}" for no in nos})
    return out


# two lone efforts this alike (time and distance) are a set of two: runners write
# `+ 2x200m/2min`, never `+ 1x40s + 1x40s`
PAIR_SPREAD = 0.2


def _pair_extras(sets: dict[int, dict[str, list[float]]], kinds: dict[int, str]) -> None:
    """Merge neighbouring lone extra efforts of one length into a set of two, in place."""
    order = [no for no in sorted(sets) if sets[no]["ws"]]
    for a, b in itertools.pairwise(order):
        sa, sb = sets[a], sets[b]
        if kinds.get(a) != "extra" or kinds.get(b) != "extra" or not sa["ws"] or not sb["ws"]:
            continue
        if len(sa["ws"]) != 1 or len(sb["ws"]) != 1:
            continue
        alike = all(
            abs(x - y) <= PAIR_SPREAD * max(x, y)
            for x, y in ((sa["ws"][0], sb["ws"][0]), (sa["wm"][0], sb["wm"][0]))
        )
        if alike:
            sa["ws"] += sb["ws"]
            sa["wm"] += sb["wm"]
            sb["ws"], sb["wm"] = [], []
            kinds[a] = "set"


def session_labels(segments: pl.LazyFrame) -> pl.LazyFrame:
    """activity_id, label (e.g. '6x400m/200m', '4x10min/1min + 10x200m/200m', 'continuous'),
    source, n_work, confidence."""
    seg = segments.collect()
    if "set_kind" not in seg.columns:
        seg = seg.with_columns(set_kind=pl.lit(None, pl.String))
    if "confidence" not in seg.columns:
        seg = seg.with_columns(confidence=pl.lit(None, pl.Float64))
    out = []
    # one conversion to rows for all activities (a frame per activity costs more than
    # its label), then each activity's run of rows
    rows = seg.sort(AID, "seg_index" if "seg_index" in seg.columns else AID).to_dicts()
    for aid, group in itertools.groupby(rows, key=lambda r: r[AID]):
        d = list(group)
        label, n = _activity_label(d)
        out.append((aid, label, d[0]["source"], n, d[0]["confidence"]))
    return pl.DataFrame(out, schema=LABEL_SCHEMA, orient="row").sort(AID).lazy()
