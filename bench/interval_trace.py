"""Where a labelled session's reading goes wrong: pieces, candidates, parses, choice.

Usage: uv run python bench/interval_trace.py [--misses] [--pieces] [--stages] [--reps]
       [SUBSTRING ...]

Per labelled session (files whose path contains one of the SUBSTRINGs; with
--misses only the interval sessions read wrong, laps hidden) this prints the
true label and reps (start-end in s from the file's first grid row), the
change-point pieces (with --pieces: start, length, speed, effort level,
stop), then per threshold the fast candidates (s from start, moving s,
m/s) and the best parse of them (its parts, their kinds, rep spans and
scores), the alternatives the detector keeps and the chosen one with its
label. The first stage where the truth is lost shows as: true reps missing
from the pieces (segmentation), from every threshold's candidates (levels),
or present among candidates but parsed otherwise (grammar/scoring).

--stages prints only one line per session: the first stage that loses the
truth (`first_stage`), judged with the bench's own match (overlap >= half the
union): `pieces` (no run of change-point pieces covers some true rep to
PIECE_IOU), `candidates` (no threshold's fast stretches match every true
rep), `grammar` (some threshold's do, the chosen reading's reps do not),
`label` (the reps are right, the label is not), or `ok`; and the `oracle`
reading: the grammar's best parse (score, label) of the labelled reps alone.

--reps prints one line per true rep the chosen reading misses and per chosen rep
that matches no true rep (what rep recall and precision count), over every
labelled interval session: its span, moving seconds and speed, and the stage
that loses it (`rep_stage`: pieces, candidates, grammar; `extra` for a found rep
with no true one), with the best overlap at that stage.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import interval_accuracy as ia

from terskel.analysis.intervals.labels import parse_label
from terskel.analysis.intervals.levels import thresholds
from terskel.analysis.intervals.parts import Stretch
from terskel.analysis.intervals.reading import stream_reading
from terskel.analysis.intervals.segmentation import (
    Track,
    arrays,
    grid,
    track,
)
from terskel.analysis.intervals.structure import _stretches, ceilings, parse_reps, speed_base
from terskel.analysis.samples import GridParams


def _track(s: dict[str, Any]) -> Track:
    samples = ia.stack([(0, s["samples"])])
    g = grid(samples.lazy(), GridParams()).collect()
    return track(next(iter(arrays(g).values())))


def _true(s: dict[str, Any], tr: Track) -> list[tuple[int, int]]:
    """True reps as grid rows (s from the first row)."""
    t0 = int(tr.ts[0])
    out = []
    for a, b in ia.true_reps(s["laps"], s["work_laps"]):
        out.append((int(a.timestamp()) - t0, int(b.timestamp()) - t0))
    return out


def _span(tr: Track, a: int, b: int) -> str:
    t0 = int(tr.ts[0])
    ea = int(tr.ts[min(a, tr.ts.size - 1)]) - t0
    eb = int(tr.ts[min(b, tr.ts.size - 1)]) - t0
    return f"{ea}-{eb}"


# a true rep is resolved by the pieces when a run of them would match it (as the bench scores)
PIECE_IOU = 0.5


def _iou(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = min(a[1], b[1]) - max(a[0], b[0])
    union = max(a[1], b[1]) - min(a[0], b[0])
    return max(inter, 0) / union if union > 0 else 0.0


def _matched(true: list[tuple[int, int]], found: list[tuple[int, int]]) -> int:
    """True reps matched one to one (greedy by overlap, as the bench scores)."""
    return len(true) - len(_unmatched(true, found))


def first_stage(
    true: list[tuple[int, int]],
    pieces: list[tuple[int, int]],
    candidates: list[list[tuple[int, int]]],
    chosen: list[tuple[int, int]],
    label_ok: bool,
) -> str:
    """The first stage that loses the truth (spans in seconds; see the module doc)."""
    if label_ok:
        return "ok"
    if true:
        for t in true:
            best = max(
                (_iou(t, (a[0], b[1])) for k, a in enumerate(pieces) for b in pieces[k:]),
                default=0.0,
            )
            if best < PIECE_IOU:
                return "pieces"
        if not any(_matched(true, c) == len(true) for c in candidates):
            return "candidates"
    if _matched(true, chosen) != len(true) or len(chosen) != len(true):
        return "grammar"
    return "label"


def rep_stage(
    rep: tuple[int, int],
    pieces: list[tuple[int, int]],
    candidates: list[list[tuple[int, int]]],
) -> tuple[str, float]:
    """Where one missed true rep is lost, and the best overlap (IoU) there: `pieces`
    (no run of pieces covers it to PIECE_IOU), `candidates` (no threshold's fast
    stretch does), else `grammar` (a candidate the chosen reading left out or
    matched elsewhere)."""
    best = max(
        (_iou(rep, (a[0], b[1])) for k, a in enumerate(pieces) for b in pieces[k:]),
        default=0.0,
    )
    if best < PIECE_IOU:
        return "pieces", best
    cand = max((_iou(rep, c) for cs in candidates for c in cs), default=0.0)
    if cand < PIECE_IOU:
        return "candidates", cand
    return "grammar", cand


def _unmatched(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> list[int]:
    """Indices of `a` left unmatched by the one-to-one greedy match with `b`."""
    pairs = sorted(
        ((_iou(x, y), i, j) for i, x in enumerate(a) for j, y in enumerate(b)), reverse=True
    )
    ua: set[int] = set()
    ub: set[int] = set()
    for iou, i, j in pairs:
        if iou >= 0.5 and i not in ua and j not in ub:
            ua.add(i)
            ub.add(j)
    return [i for i in range(len(a)) if i not in ua]


Span = tuple[int, int]


def _stages(
    s: dict[str, Any],
) -> tuple[Track, np.ndarray, list[Span], list[list[Span]], list[Span]]:
    """One session's track, its cumulative distance, and in seconds from its start:
    the effort pieces, the candidates of every threshold, the chosen reading's reps."""
    tr = _track(s)
    cd = np.concatenate([[0.0], np.cumsum(tr.v)])
    ceil = ceilings(tr.pieces, tr.sigma, tr.graded)
    cands = [
        [_secs(tr, x.start, x.end) for x in _stretches(tr.pieces, thr, standing, ceil)]
        for thr in thresholds(tr.pieces, tr.sigma, tr.graded)
        for standing in (False, True)
    ]
    pieces = [_secs(tr, p.start, p.end) for p in tr.pieces if not p.stop]
    chosen = [_secs(tr, r.start, r.end) for r in stream_reading(tr, cd).parse.reps]
    return tr, cd, pieces, cands, chosen


def missed_reps(s: dict[str, Any]) -> list[str]:
    """One line per true rep the chosen reading misses and per chosen rep matching none."""
    tr, cd, pieces, cands, chosen = _stages(s)
    true = _true(s, tr)
    t0 = int(tr.ts[0])
    name = s["file"].split("/")[-1][:40]

    def what(a: int, b: int) -> str:
        ra, rb = (int(np.searchsorted(tr.ts, t0 + x)) for x in (a, b))
        n = float(tr.moving[ra:rb].sum())
        return f"{a:5d}-{b:<5d} {n:5.0f} s {float(cd[rb] - cd[ra]) / max(n, 1.0):5.2f} m/s"

    out = []
    for i in _unmatched(true, chosen):
        where, iou = rep_stage(true[i], pieces, cands)
        out.append(f"{name:40} missed {what(*true[i])}  {where:10} best IoU {iou:.2f}")
    for j in _unmatched(chosen, true):
        iou = max((_iou(chosen[j], t) for t in true), default=0.0)
        out.append(f"{name:40} extra  {what(*chosen[j])}  {'extra':10} best IoU {iou:.2f}")
    return out


def _secs(tr: Track, a: int, b: int) -> tuple[int, int]:
    t0 = int(tr.ts[0])
    return int(tr.ts[min(a, tr.ts.size - 1)]) - t0, int(tr.ts[min(b, tr.ts.size - 1)]) - t0


def oracle(s: dict[str, Any], tr: Track, cd: np.ndarray) -> tuple[float, str]:
    """Score and label of the grammar's best reading when the labelled reps are its
    only candidates: below 0 (or another shape) the grammar itself cannot read the
    truth, whatever the pieces and thresholds give it."""
    t0 = int(tr.ts[0])
    reps = []
    for a, b in _true(s, tr):
        ra, rb = (int(np.searchsorted(tr.ts, t0 + x)) for x in (a, b))
        moving = float(tr.moving[ra:rb].sum())
        dist = float(cd[rb] - cd[ra])
        reps.append(Stretch(ra, rb, moving, dist, dist / max(moving, 1.0)))
    if not reps:
        return 0.0, "continuous"
    p = parse_reps(reps, cd, tr.moments, speed_base(tr.pieces))
    return p.score, parse_label(p, tr)


def stage(s: dict[str, Any]) -> tuple[str, str, tuple[float, str]]:
    """First failing stage of one session, the label the detector wrote and the
    `oracle` reading."""
    tr, cd, pieces, cands, chosen = _stages(s)
    label = ia.run([s], use_laps=False).labels.get(0, "continuous")
    where = first_stage(_true(s, tr), pieces, cands, chosen, ia.is_right(s, label))
    return where, label, oracle(s, tr, cd)


def trace(s: dict[str, Any], show_pieces: bool) -> None:
    """Print every stage of one session's stream reading."""
    tr = _track(s)
    cd = np.concatenate([[0.0], np.cumsum(tr.v)])
    print(f"=== {s['file']}  [{s['athlete']}]")
    print(f"true: {s['label']}   also {s.get('label_also', [])}")
    print("true reps (s):", " ".join(f"{a}-{b}" for a, b in _true(s, tr)))
    on = "grade-adjusted speed" if tr.graded else "speed"
    print(f"sigma {tr.sigma:.3f} m/s per bin; {len(tr.pieces)} pieces, changes of the {on}")
    if show_pieces:
        for p in tr.pieces:
            kind = "STOP" if p.stop else f"{p.speed:5.2f} lvl {p.level:5.2f}"
            print(f"   {_span(tr, p.start, p.end):>11} {p.moving_s:6.0f}s {kind}")
    vbase = speed_base(tr.pieces)
    ceil = ceilings(tr.pieces, tr.sigma, tr.graded)
    print(f"vbase {vbase:.2f}")
    for thr in thresholds(tr.pieces, tr.sigma, tr.graded):
        for standing in (False, True):
            cands = _stretches(tr.pieces, thr, standing, ceil)
            p = parse_reps(cands, cd, tr.moments, vbase)
            c = " ".join(
                f"{_span(tr, x.start, x.end)}({x.moving_s:.0f},{x.speed:.2f})" for x in cands
            )
            print(f" thr {thr:.2f} standing={standing}: {len(cands)} cands: {c}")
            parts = " | ".join(
                f"{pt.kind}[{len(pt.reps)}] {pt.score:.1f}: "
                + " ".join(_span(tr, r.start, r.end) for r in pt.reps)
                for pt in p.parts
            )
            print(f"    parse {p.score:7.1f}  {parse_label(p, tr)}  :: {parts}")
    r = stream_reading(tr, cd)
    print(" alternatives:")
    for p in r.alternatives:
        mark = "*" if p is r.parse else " "
        print(f"   {mark} {p.score:7.1f}  {parse_label(p, tr)}")
    found = ia.run([s], use_laps=False)
    print(f" chosen: {parse_label(r.parse, tr)}  (confidence {r.confidence:.2f})")
    print(f" label:  {found.labels.get(0, 'continuous')}")
    print()


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("files", nargs="*", help="substrings of the files to trace")
    ap.add_argument("--misses", action="store_true", help="only interval sessions read wrong")
    ap.add_argument("--pieces", action="store_true", help="print the change-point pieces")
    ap.add_argument("--stages", action="store_true", help="one line per session: first stage lost")
    ap.add_argument("--reps", action="store_true", help="one line per missed or extra rep")
    args = ap.parse_args()
    sessions = [
        s
        for s in ia.labelled_sessions()
        if not args.files or any(f in s["file"] for f in args.files)
    ]
    sessions = ia.with_frames(sessions)
    if args.misses:
        found = ia.run(sessions, use_laps=False)
        sessions = [
            s
            for i, s in enumerate(sessions)
            if s["label"] != "continuous"
            and s.get("streams_can_tell", True)
            and not ia.is_right(s, found.labels.get(i, "continuous"))
        ]
    if args.reps:
        fair = [
            s for s in sessions if s["label"] != "continuous" and s.get("streams_can_tell", True)
        ]
        for s in fair:
            for line in missed_reps(s):
                print(line)
        return 0
    for s in sessions:
        if args.stages:
            where, label, (score, read) = stage(s)
            name = s["file"].split("/")[-1][:40]
            print(
                f"{name:40} {s['label'][:30]:30} {label[:30]:30} {where:10}"
                f" oracle {score:6.1f} {read[:30]}"
            )
        else:
            trace(s, args.pieces)
    return 0


if __name__ == "__main__":
    sys.exit(main())
