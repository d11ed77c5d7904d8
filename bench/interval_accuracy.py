"""Accuracy of interval detection against the labelled sessions, per athlete.

Usage: uv run python bench/interval_accuracy.py [--laps] [--loao | --robust | --history]

Labels: ../shared/data/labels/intervals.toml and bench/labels/intervals-more.toml
(athletes of the old labels: bench/labels/athletes.toml, else the file's owner
prefix before `__` or its history folder). Every listed FIT file is decoded once
(frames cached as parquet under the temp dir) and run through `detect` (laps
hidden unless --laps). Printed per file, per athlete and in total: exact
session label (label or label_also, interval sessions), rep recall and
precision (a detected rep matches a true rep when their overlap is at least
half of their union), median and 90th-percentile boundary error, and false
reps on `continuous` sessions, and whether confidence means something (mean
confidence of right and of wrong labels, and P(a right label is more confident
than a wrong one)). Sessions with streams_can_tell = false are
shown but left out of the totals when laps are hidden.

--loao      leave one athlete out: parameters come from `FIT(train sessions)`
            fit without the scored athlete (equals per-athlete scoring while
            FIT is None: the detector's defaults are used).
--robust    every labelled session degraded (bench/degrade.py: resampled to
            2/3/5 s, no HR, speed noise doubled, 20-120 s stops paused or
            standing in continuous runs, laps removed, interval sessions
            without warm-up or without cool-down); counts labels kept.
--history   every run in ../shared/data/history: labels with more than three
            `+`-separated parts, listed; runs read as anything but
            `continuous`, per folder; and the steady runs issue 11 names
            (made-up sets there before), each of which must stay `continuous`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import statistics
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
import degrade

from terskel.sources.fit import decode

BENCH = Path(__file__).resolve().parent
DATA = BENCH.parent / ".." / "shared" / "data"
LABEL_FILES = [DATA / "labels" / "intervals.toml", BENCH / "labels" / "intervals-more.toml"]
ATHLETES_FILE = BENCH / "labels" / "athletes.toml"
CACHE = Path(tempfile.gettempdir()) / "terskel-bench-frames"
Span = tuple[dt.datetime, dt.datetime]


# --------------------------------------------------------------------------
# The detector adapter: every call into the detector is here, nowhere else.
# --------------------------------------------------------------------------

#: Optional hook: fit(train_sessions) -> params for `detect`; None = defaults.
#: A train session is a dict of the label entry plus "samples" and "laps" frames.
FIT: Callable[[list[dict[str, Any]]], Any] | None = None


@dataclass
class Found:
    """What the detector said about each activity: work spans and the label."""

    reps: dict[int, list[Span]] = field(default_factory=dict)
    labels: dict[int, str] = field(default_factory=dict)
    confidence: dict[int, float] = field(default_factory=dict)
    seconds: float = 0.0


def detect(
    samples: pl.DataFrame, laps: pl.DataFrame, *, use_laps: bool, params: Any = None
) -> Found:
    """Run the detector over all activities (by activity_id) at once."""
    from terskel.analysis.intervals import detect_segments, session_labels

    kw = {} if params is None else {"params": params}
    t0 = time.perf_counter()
    seg = detect_segments(samples.lazy(), laps.lazy(), use_laps=use_laps, **kw).collect()
    lab = session_labels(seg.lazy()).collect()
    out = Found(seconds=time.perf_counter() - t0)
    work = seg.filter(pl.col("kind") == "work").sort("activity_id", "start_utc")
    for aid, start, end in work.select("activity_id", "start_utc", "end_utc").iter_rows():
        out.reps.setdefault(aid, []).append((start, end))
    for aid, label, conf in lab.select("activity_id", "label", "confidence").iter_rows():
        out.labels[aid] = label
        out.confidence[aid] = float(conf) if conf is not None else float("nan")
    return out


# --------------------------------------------------------------------------
# Loading: labels, athletes, decoded frames (cached).
# --------------------------------------------------------------------------


def athlete_of(file: str, given: str | None = None) -> str:
    """Athlete of a labelled file: its `athlete` key, athletes.toml, else its path."""
    if given:
        return given
    mapping = tomllib.loads(ATHLETES_FILE.read_text())["athletes"] if ATHLETES_FILE.exists() else {}
    if file in mapping:
        return str(mapping[file])
    parts = file.split("/")
    return parts[1] if parts[0] == "history" else parts[-1].split("__")[0]


def labelled_sessions() -> list[dict[str, Any]]:
    """All label entries of both label files, each with `athlete` and `labels_file`."""
    out = []
    for path in LABEL_FILES:
        if not path.exists():
            continue
        for s in tomllib.loads(path.read_text())["session"]:
            s = dict(s, athlete=athlete_of(s["file"], s.get("athlete")), labels_file=path.name)
            if (DATA / s["file"]).exists():
                out.append(s)
    return out


def frames(file: str) -> tuple[pl.DataFrame, pl.DataFrame, str]:
    """(samples, laps, sport) of a file's first running session, decoded once and cached."""
    path = DATA / file
    st = path.stat()
    key = hashlib.sha1(f"{file}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:16]
    sp, lp, kp = (CACHE / f"{key}.{x}" for x in ("samples.parquet", "laps.parquet", "sport"))
    if sp.exists() and lp.exists() and kp.exists():
        return pl.read_parquet(sp), pl.read_parquet(lp), kp.read_text()
    fit = decode(path.read_bytes())
    runs = [x for x in fit.sessions if x.sport == "running"] or fit.sessions
    samples, laps, sport = runs[0].samples, runs[0].laps, str(runs[0].sport)
    CACHE.mkdir(parents=True, exist_ok=True)
    samples.write_parquet(sp)
    laps.write_parquet(lp)
    kp.write_text(sport)
    return samples, laps, sport


def with_frames(sessions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sessions with their decoded "samples" and "laps" attached."""
    out = []
    for s in sessions:
        samples, laps, _ = frames(s["file"])
        out.append(dict(s, samples=samples, laps=laps.sort("lap_index")))
    return out


def stack(frames_: Iterable[tuple[int, pl.DataFrame]]) -> pl.DataFrame:
    """One frame of many activities, activity_id = the given index."""
    parts = [f.with_columns(pl.lit(i, pl.Int64).alias("activity_id")) for i, f in frames_]
    return pl.concat(parts, how="vertical_relaxed")


def run(
    sessions: list[dict[str, Any]],
    *,
    use_laps: bool,
    params: Any = None,
    samples_of: Callable[[int, dict[str, Any]], pl.DataFrame] | None = None,
    laps_of: Callable[[int, dict[str, Any]], pl.DataFrame] | None = None,
) -> Found:
    """Detect over `sessions` (activity_id = position), optionally degrading frames."""
    samples = stack(
        (i, samples_of(i, s) if samples_of else s["samples"]) for i, s in enumerate(sessions)
    )
    laps = stack((i, laps_of(i, s) if laps_of else s["laps"]) for i, s in enumerate(sessions))
    return detect(samples, laps, use_laps=use_laps, params=params)


# --------------------------------------------------------------------------
# Scoring (unchanged rules).
# --------------------------------------------------------------------------


def true_reps(laps: pl.DataFrame, work_laps: list[Any]) -> list[Span]:
    """Spans of the labelled reps: lap starts to lap ends (inner lists are one rep)."""
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


@dataclass
class Score:
    """One session scored against its label."""

    session: dict[str, Any]
    label: str
    ok: bool
    fair: bool
    n_true: int
    n_found: int
    matched: int
    errors: list[float]
    confidence: float = float("nan")


def is_right(s: dict[str, Any], label: str) -> bool:
    """The found label is the true one or one of its other spellings."""
    return label in [s["label"], *s.get("label_also", [])]


def score(sessions: list[dict[str, Any]], found: Found, *, use_laps: bool) -> list[Score]:
    """Score every session (activity_id = position) against its label."""
    out = []
    for i, s in enumerate(sessions):
        true = true_reps(s["laps"], s["work_laps"])
        reps = found.reps.get(i, [])
        label = found.labels.get(i, "continuous")
        pairs = _match(true, reps)
        errs = [abs((a - b).total_seconds()) for t, f in pairs for a, b in zip(t, f, strict=True)]
        fair = use_laps or s.get("streams_can_tell", True)
        out.append(
            Score(
                s,
                label,
                is_right(s, label),
                fair,
                len(true),
                len(reps),
                len(pairs),
                errs,
                found.confidence.get(i, float("nan")),
            )
        )
    return out


@dataclass
class Totals:
    """Sums over a group of scored sessions (fair ones only)."""

    n_int: int = 0
    exact: int = 0
    tp: int = 0
    n_true: int = 0
    n_found: int = 0
    n_cont: int = 0
    false_cont: int = 0
    errors: list[float] = field(default_factory=list)

    def add(self, sc: Score) -> None:
        """Count one session (skipped when it is not fair in this mode)."""
        if not sc.fair:
            return
        if sc.session["label"] == "continuous":
            self.n_cont += 1
            self.false_cont += sc.n_found
            return
        self.n_int += 1
        self.exact += sc.ok
        self.tp += sc.matched
        self.n_true += sc.n_true
        self.n_found += sc.n_found
        self.errors.extend(sc.errors)

    def row(self, name: str) -> str:
        """One table line."""
        lab = f"{self.exact}/{self.n_int}" if self.n_int else "-"
        rec = f"{self.tp / self.n_true:.0%}" if self.n_true else "-"
        prec = f"{self.tp / self.n_found:.0%}" if self.n_found else "-"
        med, p90 = _pct(self.errors, 0.5), _pct(self.errors, 0.9)
        cont = f"{self.false_cont} in {self.n_cont}" if self.n_cont else "-"
        return f"{name:22} {lab:>7} {rec:>7} {prec:>7} {med:7.1f} {p90:7.1f}  {cont:>9}"


TABLE_HEAD = (
    f"{'athlete':22} {'label':>7} {'recall':>7} {'prec':>7} {'med s':>7} {'p90 s':>7}"
    f"  {'false reps':>9}"
)


def print_files(scores: list[Score]) -> None:
    """One line per session."""
    print(f"{'file':52} {'true label':30} {'found':34} ok  true found match  err  conf")
    for sc in scores:
        s = sc.session
        med = statistics.median(sc.errors) if sc.errors else float("nan")
        mark = "" if sc.fair else "  (not fair without laps)"
        name = s["file"].split("/")[-1][:52]
        print(
            f"{name:52} {s['label'][:30]:30} {sc.label[:34]:34} {'Y' if sc.ok else '-':2} "
            f"{sc.n_true:5} {sc.n_found:5} {sc.matched:5} {med:5.1f} {sc.confidence:5.2f}{mark}"
        )


def print_tables(scores: list[Score]) -> Totals:
    """Per-athlete table and the total line; returns the total."""
    by: dict[str, Totals] = {}
    total = Totals()
    for sc in scores:
        by.setdefault(sc.session["athlete"], Totals()).add(sc)
        total.add(sc)
    print(TABLE_HEAD)
    for name in sorted(by, key=str.lower):
        print(by[name].row(name))
    print(total.row("TOTAL"))
    return total


def print_confidence(scores: list[Score]) -> None:
    """Does confidence mean something: mean confidence of right and wrong labels, and
    how often a right label is more confident than a wrong one (AUC; ties count half)."""
    fair = [sc for sc in scores if sc.fair and sc.confidence == sc.confidence]
    for name, group in (
        ("interval sessions", [sc for sc in fair if sc.session["label"] != "continuous"]),
        ("continuous runs", [sc for sc in fair if sc.session["label"] == "continuous"]),
        ("all", fair),
    ):
        right = [sc.confidence for sc in group if sc.ok]
        wrong = [sc.confidence for sc in group if not sc.ok]
        mr = f"{statistics.mean(right):.2f}" if right else "-"
        mw = f"{statistics.mean(wrong):.2f}" if wrong else "-"
        pairs = [(r > w) + 0.5 * (r == w) for r in right for w in wrong]
        auc = f"{sum(pairs) / len(pairs):.2f}" if pairs else "-"
        print(
            f"  confidence, {name:17}: right {mr} (n={len(right)}),"
            f" wrong {mw} (n={len(wrong)}), P(right > wrong) {auc}"
        )


def print_summary(total: Totals) -> None:
    """The headline numbers in words."""
    print(
        f"  exact label (interval sessions): {total.exact}/{total.n_int}"
        f" = {total.exact / max(total.n_int, 1):.0%}"
    )
    print(f"  rep recall:    {total.tp}/{total.n_true} = {total.tp / max(total.n_true, 1):.1%}")
    print(f"  rep precision: {total.tp}/{total.n_found} = {total.tp / max(total.n_found, 1):.1%}")
    print(
        f"  boundary error: median {_pct(total.errors, 0.5):.1f} s,"
        f" p90 {_pct(total.errors, 0.9):.1f} s"
    )
    print(f"  false reps on {total.n_cont} continuous sessions: {total.false_cont}")


# --------------------------------------------------------------------------
# Modes.
# --------------------------------------------------------------------------


def plain(sessions: list[dict[str, Any]], use_laps: bool) -> None:
    """Default mode: every labelled session with the detector's defaults."""
    found = run(sessions, use_laps=use_laps)
    scores = score(sessions, found, use_laps=use_laps)
    print_files(scores)
    print()
    print(f"laps {'allowed' if use_laps else 'hidden'}; {len(sessions)} labelled files")
    print_summary(print_tables(scores))
    print_confidence(scores)
    n = sum(s["samples"].height for s in sessions)
    print(f"  detection runtime: {found.seconds:.2f} s ({n} samples)")


def loao(sessions: list[dict[str, Any]], use_laps: bool) -> None:
    """Leave one athlete out: fit on the others, score the one left out."""
    athletes = sorted({s["athlete"] for s in sessions}, key=str.lower)
    scores: list[Score] = []
    if FIT is None:
        print("no FIT hook: every athlete is scored with the detector's defaults, so")
        print("leave-one-athlete-out equals per-athlete scoring (nothing is fit on the data)")
        found = run(sessions, use_laps=use_laps)
        scores = score(sessions, found, use_laps=use_laps)
    else:
        for a in athletes:
            test = [s for s in sessions if s["athlete"] == a]
            params = FIT([s for s in sessions if s["athlete"] != a])
            scores += score(test, run(test, use_laps=use_laps, params=params), use_laps=use_laps)
    print(
        f"laps {'allowed' if use_laps else 'hidden'};"
        f" leave-one-athlete-out over {len(athletes)} athletes"
    )
    print_summary(print_tables(scores))


Variant = tuple[str, Callable[[int, dict[str, Any]], pl.DataFrame] | None, str, bool]


def _cropped(s: dict[str, Any], *, warm_up: bool, cool_down: bool) -> pl.DataFrame:
    """The session cut to its labelled reps (plus 5 s), as if recorded from workout steps."""
    reps = true_reps(s["laps"], s["work_laps"])
    first, last = reps[0][0], reps[-1][1]
    return degrade.crop(s["samples"], first, last, warm_up=warm_up, cool_down=cool_down)


def _variants() -> list[Variant]:
    """(name, samples transform, scope: all | continuous | intervals, laps removed)."""
    return [
        ("resampled 2 s", lambda i, s: degrade.resample(s["samples"], 2), "all", False),
        ("resampled 3 s", lambda i, s: degrade.resample(s["samples"], 3), "all", False),
        ("resampled 5 s", lambda i, s: degrade.resample(s["samples"], 5), "all", False),
        ("no heart rate", lambda i, s: degrade.drop_hr(s["samples"]), "all", False),
        ("speed noise x2", lambda i, s: degrade.double_noise(s["samples"]), "all", False),
        (
            "stops, timer paused",
            lambda i, s: degrade.insert_stops(s["samples"], standing=False, seed=i),
            "continuous",
            False,
        ),
        (
            "stops, standing",
            lambda i, s: degrade.insert_stops(s["samples"], standing=True, seed=i),
            "continuous",
            False,
        ),
        ("laps removed", None, "all", True),
        # held-out sessions include workouts recorded from their steps alone (issue 11)
        (
            "no warm-up",
            lambda i, s: _cropped(s, warm_up=True, cool_down=False),
            "intervals",
            False,
        ),
        (
            "no cool-down",
            lambda i, s: _cropped(s, warm_up=False, cool_down=True),
            "intervals",
            False,
        ),
    ]


def _in_scope(s: dict[str, Any], scope: str) -> bool:
    """Whether a variant applies to a session: every one, steady runs or interval sessions."""
    steady = s["label"] == "continuous"
    return scope == "all" or (scope == "continuous") == steady


def robust(sessions: list[dict[str, Any]], use_laps: bool) -> None:
    """Degrade every labelled session; count labels kept (same label as undegraded)."""
    fair = [s for s in sessions if use_laps or s.get("streams_can_tell", True)]
    base = {False: run(fair, use_laps=use_laps)}
    base[True] = run(fair, use_laps=True)
    print(f"{len(fair)} labelled sessions (fair ones); laps {'allowed' if use_laps else 'hidden'}")
    print("kept = same label as the undegraded session; right = the true label")
    print("'laps removed' compares detection with laps allowed, with and without the laps")
    print(f"{'variant':22} {'sessions':>8} {'kept':>9} {'right':>9} {'right before':>12}")
    kept_all = n_all = 0
    per_athlete: dict[str, list[int]] = {}
    changed: list[str] = []
    for name, transform, scope, laps_gone in _variants():
        idx = [i for i, s in enumerate(fair) if _in_scope(s, scope)]
        subset = [fair[i] for i in idx]
        mode = True if laps_gone else use_laps
        found = run(
            subset,
            use_laps=mode,
            samples_of=(lambda j, s, f=transform, ix=idx: f(ix[j], s)) if transform else None,
            laps_of=(lambda j, s: degrade.no_laps(s["laps"])) if laps_gone else None,
        )
        kept = right = before = 0
        for j, i in enumerate(idx):
            was = base[mode].labels.get(i, "continuous")
            now = found.labels.get(j, "continuous")
            s = fair[i]
            kept += now == was
            right += is_right(s, now)
            before += is_right(s, was)
            tally = per_athlete.setdefault(s["athlete"], [0, 0])
            tally[0] += now == was
            tally[1] += 1
            if now != was:
                changed.append(f"  {name:20} {s['file'].split('/')[-1][:40]:40} {was} -> {now}")
        kept_all += kept
        n_all += len(idx)
        print(
            f"{name:22} {len(idx):8} {kept:4} {kept / max(len(idx), 1):4.0%}"
            f" {right:4} {right / max(len(idx), 1):4.0%} {before:7}"
        )
    print(
        f"{'TOTAL':22} {n_all:8} {kept_all:4} {kept_all / max(n_all, 1):4.0%}"
        "   (target >= 95 % kept)"
    )
    print("speed noise x2 changes speed_mps only: a detector reading speed from distance")
    print("over time is unaffected by design (phones: noisy speed, good distance)")
    print()
    print(f"{'athlete':22} {'kept':>12}")
    for a in sorted(per_athlete, key=str.lower):
        k, n = per_athlete[a]
        print(f"{a:22} {k:5}/{n:<4} {k / n:4.0%}")
    if changed:
        print()
        print("labels that changed (undegraded -> degraded):")
        print("\n".join(changed))


# Steady runs (stops, trail hiking) that issue 11 names as once made into sets.
STEADY_NAMED = (
    "history/coros-road-runner/476740210793676908.fit",
    "history/coros-road-runner/477610798517092452.fit",
    *(
        f"history/garmin-trail-runner/{n}.fit"
        for n in (488608811, 491142335, 496005024, 496737996, 498421497, 498956031, 502709010)
    ),
)


def history(use_laps: bool) -> None:
    """Labels with more than three parts over every run in ../shared/data/history."""
    files = sorted(str(p.relative_to(DATA)) for p in (DATA / "history").glob("*/*.fit"))
    runs = []
    for f in files:
        try:
            samples, laps, sport = frames(f)
        except Exception as exc:  # a broken file is reported, not fatal
            print(f"{f}: not decoded ({exc})")
            continue
        if samples.height > 10 and sport == "running":
            runs.append({"file": f, "samples": samples, "laps": laps.sort("lap_index")})
    for mode in (use_laps, not use_laps):
        found = run(runs, use_laps=mode)
        long = [
            (runs[i]["file"], lab) for i, lab in found.labels.items() if len(lab.split(" + ")) > 3
        ]
        by_folder: dict[str, list[int]] = {}
        for i, r in enumerate(runs):
            folder = r["file"].split("/")[1]
            tally = by_folder.setdefault(folder, [0, 0, 0])
            tally[1] += 1
            tally[0] += len(found.labels.get(i, "continuous").split(" + ")) > 3
            tally[2] += found.labels.get(i, "continuous") != "continuous"
        print(
            f"laps {'allowed' if mode else 'hidden'}: {len(long)} of {len(runs)} history runs"
            " have a label with more than three parts"
        )
        for folder, (k, n, sets) in sorted(by_folder.items()):
            print(f"  {folder:24} {k}/{n}   (not continuous: {sets})")
        for f, lab in sorted(long):
            print(f"    {f.split('/')[-1]:28} {lab}")
        named = {r["file"]: found.labels.get(i, "continuous") for i, r in enumerate(runs)}
        made_up = [
            (f, named[f]) for f in STEADY_NAMED if named.get(f, "continuous") != "continuous"
        ]
        print(f"  steady runs issue 11 names, read as sets: {len(made_up)} of {len(STEADY_NAMED)}")
        for f, lab in made_up:
            print(f"    {f.split('/')[-1]:28} {lab}")
        print()


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--laps", action="store_true", help="let detection use the laps")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--loao", action="store_true", help="leave one athlete out")
    g.add_argument("--robust", action="store_true", help="degraded sessions keep their label?")
    g.add_argument("--history", action="store_true", help="long labels over the histories")
    args = ap.parse_args()
    if not DATA.exists():
        print(f"no data at {DATA}: nothing to measure")
        return 0
    if args.history:
        history(args.laps)
        return 0
    sessions = with_frames(labelled_sessions())
    if not sessions:
        print("no labelled sessions found: nothing to measure")
        return 0
    if args.loao:
        loao(sessions, args.laps)
    elif args.robust:
        robust(sessions, args.laps)
    else:
        plain(sessions, args.laps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
