"""Labels replayed from captured segments: the label stage alone, in seconds.

Usage: uv run python bench/label_replay.py capture
       uv run python bench/label_replay.py replay [--out LABELS.json] [-v]
       uv run python bench/label_replay.py diff A.json B.json [--robust]

`session_labels` (labels.py, dimension.py) reads only the segments, so a change
there can be measured without detecting again. `capture` runs `detect_segments`
once over what `interval_accuracy.py` scores (the labelled sessions, laps hidden
and allowed; every `--robust` degradation; every history run, both ways) and
keeps the segments as parquet under $TMPDIR/terskel-label-replay. `replay`
labels them with this tree's code and prints the bench's figures (plain exact
per athlete, laps allowed, robust kept and right, history: labels > 3 parts and
runs not continuous), `-v` the robust labels that changed; `--out` writes every
label to a JSON file, which `diff` compares (`--robust`: the degraded ones too).
The figures equal `interval_accuracy.py`'s as long as the capturing tree detects
segments as this one does: capture again after any change upstream of the labels.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
import degrade
import interval_accuracy as ia

from terskel.analysis.intervals import detect_segments, session_labels

STORE = Path(tempfile.gettempdir()) / "terskel-label-replay"


def _segments(
    runs: list[dict[str, Any]], use_laps: bool, samples_of: Any = None, laps_of: Any = None
) -> pl.DataFrame:
    samples = ia.stack(
        (i, samples_of(i, s) if samples_of else s["samples"]) for i, s in enumerate(runs)
    )
    laps = ia.stack((i, laps_of(i, s) if laps_of else s["laps"]) for i, s in enumerate(runs))
    return detect_segments(samples.lazy(), laps.lazy(), use_laps=use_laps).collect()


def capture() -> None:
    """Detect once, keep the segments and what each activity_id stands for."""
    STORE.mkdir(parents=True, exist_ok=True)
    sessions = ia.with_frames(ia.labelled_sessions())
    fair = [i for i, s in enumerate(sessions) if s.get("streams_can_tell", True)]
    index: dict[str, Any] = {
        "sessions": [
            {k: s.get(k) for k in ("file", "label", "label_also", "athlete", "streams_can_tell")}
            for s in sessions
        ],
        "runs": {},
    }
    for laps in (False, True):
        _segments(sessions, laps).write_parquet(STORE / f"plain-{laps}.parquet")
        index["runs"][f"plain-{laps}"] = {"ids": list(range(len(sessions))), "laps": laps}
    for n, (name, transform, scope, gone) in enumerate(ia._variants()):
        idx = [i for i in fair if ia._in_scope(sessions[i], scope)]
        sub = [sessions[i] for i in idx]
        seg = _segments(
            sub,
            gone,
            samples_of=(lambda j, s, f=transform, ix=idx: f(fair.index(ix[j]), s))
            if transform
            else None,
            laps_of=(lambda j, s: degrade.no_laps(s["laps"])) if gone else None,
        )
        seg.write_parquet(STORE / f"robust-{n}.parquet")
        index["runs"][f"robust-{n}"] = {"ids": idx, "laps": gone, "name": name}
    files = sorted(str(p.relative_to(ia.DATA)) for p in (ia.DATA / "history").glob("*/*.fit"))
    runs = []
    for f in files:
        samples, laps, sport = ia.frames(f)
        if samples.height > 10 and sport == "running":
            runs.append({"file": f, "samples": samples, "laps": laps.sort("lap_index")})
    index["history"] = [r["file"] for r in runs]
    for laps in (False, True):
        _segments(runs, laps).write_parquet(STORE / f"history-{laps}.parquet")
    (STORE / "index.json").write_text(json.dumps(index))
    print(
        f"captured {len(sessions)} sessions, {len(index['runs'])} runs,"
        f" {len(runs)} history runs in {STORE}"
    )


def _labels(name: str) -> dict[int, str]:
    lab = session_labels(pl.read_parquet(STORE / f"{name}.parquet").lazy()).collect()
    return dict(zip(lab["activity_id"].to_list(), lab["label"].to_list(), strict=True))


def replay(out: str | None, verbose: bool) -> None:
    """The bench's figures from the captured segments, labelled by this tree."""
    index = json.loads((STORE / "index.json").read_text())
    sessions = index["sessions"]

    def right(i: int, label: str) -> bool:
        return label in [sessions[i]["label"], *(sessions[i]["label_also"] or [])]

    found: dict[str, dict[str, str]] = {}
    base: dict[bool, dict[int, str]] = {}
    for laps in (False, True):
        got = _labels(f"plain-{laps}")
        base[laps] = {i: got.get(i, "continuous") for i in range(len(sessions))}
        found[f"plain-{laps}"] = {sessions[i]["file"]: lab for i, lab in base[laps].items()}
        scored = [
            i
            for i, s in enumerate(sessions)
            if s["label"] != "continuous" and (laps or s["streams_can_tell"] is not False)
        ]
        by: dict[str, list[int]] = {}
        for i in scored:
            tally = by.setdefault(sessions[i]["athlete"], [0, 0])
            tally[0] += right(i, base[laps][i])
            tally[1] += 1
        exact = sum(k for k, _ in by.values())
        print(f"laps {'allowed' if laps else 'hidden'}: exact {exact}/{len(scored)}")
        print(
            "  "
            + ", ".join(
                f"{a} {k}/{n}" for a, (k, n) in sorted(by.items(), key=lambda x: x[0].lower())
            )
        )
    kept = right_n = total = 0
    for key, run in index["runs"].items():
        if not key.startswith("robust"):
            continue
        got = _labels(key)
        for j, i in enumerate(run["ids"]):
            was, now = base[run["laps"]][i], got.get(j, "continuous")
            kept += now == was
            right_n += right(i, now)
            total += 1
            found.setdefault("robust", {})[f"{run['name']}|{sessions[i]['file']}"] = now
            if verbose and now != was:
                print(
                    f"  {run['name']:16} {sessions[i]['file'].split('/')[-1][:40]:40}"
                    f" {was} -> {now}"
                )
    print(f"robust: kept {kept}/{total}, right {right_n}/{total}")
    for laps in (False, True):
        got = _labels(f"history-{laps}")
        labels = {f: got.get(i, "continuous") for i, f in enumerate(index["history"])}
        found[f"history-{laps}"] = labels
        long = sum(len(v.split(" + ")) > 3 for v in labels.values())
        sets: dict[str, int] = {}
        for f, v in labels.items():
            sets[f.split("/")[1]] = sets.get(f.split("/")[1], 0) + (v != "continuous")
        print(
            f"history, laps {'allowed' if laps else 'hidden'}: {long} labels > 3 parts;"
            f" not continuous {sets}"
        )
    if out:
        Path(out).write_text(json.dumps(found, indent=0))


def diff(a: str, b: str, robust: bool) -> None:
    """Every label that differs between two `replay --out` files."""
    la, lb = json.loads(Path(a).read_text()), json.loads(Path(b).read_text())
    for group, labels in la.items():
        if group == "robust" and not robust:
            continue
        for key, label in labels.items():
            if lb.get(group, {}).get(key) != label:
                print(f"  {group:14} {key.split('/')[-1][:60]:60} {label} -> {lb[group].get(key)}")


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("capture")
    rp = sub.add_parser("replay")
    rp.add_argument("--out")
    rp.add_argument("-v", action="store_true", help="list the robust labels that changed")
    dp = sub.add_parser("diff")
    dp.add_argument("a")
    dp.add_argument("b")
    dp.add_argument("--robust", action="store_true")
    args = ap.parse_args()
    if args.cmd == "capture":
        capture()
    elif args.cmd == "replay":
        replay(args.out, args.v)
    else:
        diff(args.a, args.b, args.robust)
    return 0


if __name__ == "__main__":
    sys.exit(main())
