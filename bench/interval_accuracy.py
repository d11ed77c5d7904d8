"""Accuracy of interval detection against the labelled sessions.

Usage: uv run python bench/interval_accuracy.py [--laps]

Reads ../shared/data/labels/intervals.toml, decodes every listed FIT file,
runs `detect_segments` (laps hidden unless --laps) and prints per file and in
total: exact session label (label or label_also), rep recall and precision (a
detected rep matches a true rep when their overlap is at least half of their
union), median and 90th-percentile boundary error, and false reps on
`continuous` sessions. Sessions with streams_can_tell = false are shown but
left out of the totals when laps are hidden.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import polars as pl

from terskel.analysis.intervals import detect_segments, session_labels
from terskel.sources.fit import decode

DATA = Path(__file__).parents[1] / ".." / "shared" / "data"
Span = tuple[dt.datetime, dt.datetime]


def _load(sessions: list[dict[str, Any]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    samples, laps = [], []
    for i, s in enumerate(sessions):
        fit = decode((DATA / s["file"]).read_bytes())
        runs = [x for x in fit.sessions if x.sport == "running"] or fit.sessions
        aid = pl.lit(i, pl.Int64).alias("activity_id")
        samples.append(runs[0].samples.with_columns(aid))
        laps.append(runs[0].laps.with_columns(aid))
    return pl.concat(samples), pl.concat(laps)


def _true_reps(laps: pl.DataFrame, work_laps: list[Any]) -> list[Span]:
    starts, ends = laps["start_utc"].to_list(), laps["end_utc"].to_list()
    out = []
    for w in work_laps:
        idx = w if isinstance(w, list) else [w]
        out.append((starts[idx[0]], ends[idx[-1]]))
    return out


def _iou(a: Span, b: Span) -> float:
    inter = (min(a[1], b[1]) - max(a[0], b[0])).total_seconds()
    union = (max(a[1], b[1]) - min(a[0], b[0])).total_seconds()
    return max(inter, 0.0) / union if union > 0 else 0.0


def _match(true: list[Span], found: list[Span]) -> list[tuple[Span, Span]]:
    pairs = sorted(
        ((_iou(t, f), i, j) for i, t in enumerate(true) for j, f in enumerate(found)),
        reverse=True,
    )
    used_t: set[int] = set()
    used_f: set[int] = set()
    out = []
    for iou, i, j in pairs:
        if iou >= 0.5 and i not in used_t and j not in used_f:
            used_t.add(i)
            used_f.add(j)
            out.append((true[i], found[j]))
    return out


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--laps", action="store_true", help="let detection use the laps")
    args = ap.parse_args()
    labels_file = DATA / "labels" / "intervals.toml"
    if not labels_file.exists():
        print(f"no labels at {labels_file}: nothing to measure")
        return 0
    sessions = tomllib.loads(labels_file.read_text())["session"]
    samples, laps = _load(sessions)
    t0 = time.perf_counter()
    seg = detect_segments(samples.lazy(), laps.lazy(), use_laps=args.laps).collect()
    runtime = time.perf_counter() - t0
    lab = session_labels(seg.lazy()).collect()

    n_int = exact = tp = n_true = n_found = false_cont = n_cont = 0
    errors: list[float] = []
    print(f"{'file':58} {'true label':28} {'found':34} ok  true found match  err")
    for i, s in enumerate(sessions):
        fair = args.laps or s.get("streams_can_tell", True)
        lap_i = laps.filter(pl.col("activity_id") == i).sort("lap_index")
        true = _true_reps(lap_i, s["work_laps"])
        work = seg.filter((pl.col("activity_id") == i) & (pl.col("kind") == "work"))
        found = list(zip(work["start_utc"].to_list(), work["end_utc"].to_list(), strict=True))
        got = lab.filter(pl.col("activity_id") == i)["label"].to_list()
        label = got[0] if got else "continuous"
        ok = label in [s["label"], *s.get("label_also", [])]
        pairs = _match(true, found)
        errs = [abs((a - b).total_seconds()) for t, f in pairs for a, b in zip(t, f, strict=True)]
        med = statistics.median(errs) if errs else float("nan")
        mark = "" if fair else "  (not fair without laps)"
        name = s["file"].split("/")[-1][:58]
        print(
            f"{name:58} {s['label'][:28]:28} {label[:34]:34} {'Y' if ok else '-':2} "
            f"{len(true):5} {len(found):5} {len(pairs):5} {med:5.1f}{mark}"
        )
        if not fair:
            continue
        if s["label"] == "continuous":
            n_cont += 1
            false_cont += len(found)
            continue
        n_int += 1
        exact += ok
        tp += len(pairs)
        n_true += len(true)
        n_found += len(found)
        errors.extend(errs)
    print()
    print(f"laps {'allowed' if args.laps else 'hidden'}; detection over {len(sessions)} files")
    print(f"  exact label (interval sessions): {exact}/{n_int} = {exact / max(n_int, 1):.0%}")
    print(f"  rep recall:    {tp}/{n_true} = {tp / max(n_true, 1):.1%}")
    print(f"  rep precision: {tp}/{n_found} = {tp / max(n_found, 1):.1%}")
    print(f"  boundary error: median {_pct(errors, 0.5):.1f} s, p90 {_pct(errors, 0.9):.1f} s")
    print(f"  false reps on {n_cont} continuous sessions: {false_cont}")
    print(f"  detection runtime: {runtime:.2f} s ({samples.height} samples)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
