"""Session typing: agreement with the labelled sessions, and stability across stores.

1. Agreement: the files of each athlete of bench/labels/session-types.toml
   (helper `labels`' truth: every labelled session, its type and reason) are
   imported into one store, analysed from terskel's own estimates, and every
   labelled session's type is compared with the truth; every disagreement is
   printed with both reasons.
2. Stability: each history in ../shared/data/history is typed alone, then
   together with other data, and sessions whose type changes are counted
   (target 0): other runners' files (../shared/data/fit/running) as a second
   athlete in the same store; the same files as this athlete's own extra files;
   5 lactate readings on one interval session of the history.

    uv run python bench/typing_accuracy.py [--skip-stability]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import polars as pl

from terskel.jobs.analyze import AthleteProfile, analyze
from terskel.jobs.ingest import import_paths
from terskel.jobs.lactate import add_readings
from terskel.sources.lactate import Reading
from terskel.store import Store

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
TRUTH = ROOT / "bench" / "labels" / "session-types.toml"
HISTORIES = ("coros-road-runner", "garmin-trail-runner")
OTHERS = DATA / "fit" / "running"
# the case, with the data at hand: the last weeks of a history typed alone vs
# with the weeks before them
RECENT_WEEKS = {"coros-road-runner": 6, "garmin-trail-runner": 4}
# one interval session per history for the lactate readings (rep, mmol): a session's
# readings climb 2.2 -> 3.4 across the reps, as a runner measuring would see
LACTATE = {
    "coros-road-runner": ("476137313624162507.fit", [2.2, 2.5, 2.6, 3.0, 3.4]),
    "garmin-trail-runner": ("486679397.fit", [1.4, 1.6, 1.8, 1.7, 2.0]),
}


def _profile(markers: dict[str, float] | None = None) -> AthleteProfile:
    return AthleteProfile(dated=[(None, dict(markers or {}))])


def _typed(store: Store) -> pl.DataFrame:
    """file name, session_type, reason of every activity imported from a file."""
    files = pl.DataFrame(
        list(store.activity_files().items()), schema=["file", "activity_id"], orient="row"
    )
    return files.join(store.sessions(), on="activity_id").select(
        "file", "activity_id", "session_type", "structure", "reason", "distance_m"
    )


def _store(folder: Path, paths: list[Path], markers: dict[str, float] | None = None,
           athlete: str = "me") -> Store:  # fmt: skip
    store = Store.open(folder / "s.duckdb", athlete)
    import_paths(store, paths, workers=1)
    analyze(store, athlete=_profile(markers))
    return store


def _athlete_files(athlete: str) -> list[Path]:
    """Every file of one athlete: a history folder, or the owner's files under fit/."""
    history = DATA / "history" / athlete
    if history.is_dir():
        return sorted(history.glob("*.fit"))
    folders = (DATA / "fit" / "running", DATA / "fit" / "running-more")
    return sorted(p for f in folders for p in f.glob(f"{athlete}__*.fit"))


SELF_TYPED = "from the run itself"  # the reason of a run typed without markers


def agreement(entries: list[dict[str, str]]) -> tuple[int, int, int, tuple[int, int]]:
    """Print every disagreement; (agreeing, labelled, unknown, (self-typed, agreeing)).

    Each athlete's files go into one store, typed from terskel's own estimates
    (no markers configured). terskel has no `tempo` type: a continuous tempo is
    `threshold`, so truth `tempo` accepts `threshold`.
    """
    ok = total = unknown = own = own_ok = 0
    by_athlete: dict[str, list[dict[str, str]]] = {}
    for e in entries:
        by_athlete.setdefault(e["athlete"], []).append(e)
    for athlete, sessions in by_athlete.items():
        paths = _athlete_files(athlete) or [DATA / e["file"] for e in sessions]
        paths += [DATA / e["file"] for e in sessions if DATA / e["file"] not in paths]
        with tempfile.TemporaryDirectory() as tmp, _store(Path(tmp), paths) as store:
            got = {r["file"]: r for r in _typed(store).iter_rows(named=True)}
        for e in sessions:
            row = got.get(Path(e["file"]).name)
            if row is None:
                continue
            total += 1
            want = {"tempo": {"tempo", "threshold"}}.get(e["type"], {e["type"]})
            mine = SELF_TYPED in (row["reason"] or "")
            own += mine
            if row["session_type"] in want:
                ok += 1
                own_ok += mine
                continue
            unknown += row["session_type"] == "unknown"
            doubt = f"; truth's doubt: {e['doubt']}" if e.get("doubt") else ""
            print(f"  DISAGREE {e['file']}: truth {e['type']} ({e['reason']}{doubt}); typed "
                  f"{row['session_type']} ({row['structure']}; {row['reason']})")  # fmt: skip
    return ok, total, unknown, (own, own_ok)


def _history_paths(name: str) -> list[Path]:
    return sorted((DATA / "history" / name).glob("*.fit"))


def stability(name: str) -> dict[str, int]:
    """Sessions of one history whose type changes in each variant (vs the history alone)."""
    own = _history_paths(name)
    others = sorted(OTHERS.glob("*.fit"))
    changes: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with _store(folder / "alone", own) as store:
            base = _typed(store).select("file", base="session_type")
            files = store.activity_files()
        variants: dict[str, pl.DataFrame] = {}
        with _store(folder / "second", own) as store:
            pass
        with _store(folder / "second", others, athlete="other"):
            pass
        with Store.open(folder / "second" / "s.duckdb", "me") as store:
            variants["other runners as a second athlete"] = _typed(store)
        with _store(folder / "extra", own + others) as store:
            variants["other runners' files as this athlete's"] = _typed(store)
        with _store(folder / "lactate", own) as store:
            file, mmol = LACTATE[name]
            readings = [Reading(i + 1, m, activity=files[file], rep=i + 1) for i, m in
                        enumerate(mmol)]  # fmt: skip
            outcome = add_readings(store, readings, "bench", _profile())
            if outcome.errors:  # a run without reps: readings every 5 min from minute 10
                start = (store.activity(files[file]) or {})["start_local"]
                readings = [
                    Reading(i + 1, m, timestamp=start + dt.timedelta(minutes=10 + 5 * i))
                    for i, m in enumerate(mmol)
                ]
                outcome = add_readings(store, readings, "bench", _profile())
            print(f"  lactate on {file}: {outcome.stored.height} readings stored")
            variants["5 lactate readings on one session"] = _typed(store)
        # the case: the last weeks alone, vs with the earlier weeks before them
        with Store.open(folder / "alone" / "s.duckdb", "me") as store:
            dates = store.activities().select("activity_id", day=pl.col("start_local").dt.date())
        by_file = pl.DataFrame(list(files.items()), schema=["file", "activity_id"], orient="row")
        dated = by_file.join(dates, on="activity_id")
        cut = dated["day"].max() - dt.timedelta(weeks=RECENT_WEEKS[name])  # type: ignore[operator]
        recent = set(dated.filter(pl.col("day") > cut)["file"].to_list())
        with _store(folder / "recent", [p for p in own if p.name in recent]) as store:
            late = _typed(store).select("file", late="session_type", late_reason="reason")
        moved_late = late.join(base, on="file").filter(pl.col("late") != pl.col("base"))
        older = f"last {RECENT_WEEKS[name]} weeks alone vs with the weeks before"
        changes[older] = moved_late.height
        for r in moved_late.iter_rows(named=True):
            print(f"  CHANGE [{older}] {r['file']}: {r['late']} -> {r['base']} "
                  f"(alone: {r['late_reason']})")  # fmt: skip
        outing = _outing_files(folder / "lactate" / "s.duckdb", files[file])
        for label, frame in variants.items():
            joined = base.join(frame.select("file", "session_type", "reason"), on="file")
            moved = joined.filter(pl.col("base") != pl.col("session_type"))
            if label.startswith("5 lactate"):
                own_moves = moved.filter(pl.col("file").is_in(outing)).height
                print(f"  the session with the readings itself: {own_moves} file(s) retyped")
                moved = moved.filter(~pl.col("file").is_in(outing))
            changes[label] = moved.height
            for r in moved.iter_rows(named=True):
                print(f"  CHANGE [{label}] {r['file']}: {r['base']} -> {r['session_type']} "
                      f"({r['reason']})")  # fmt: skip
    return changes


def _outing_files(db: Path, activity_id: int) -> list[str]:
    """Files of the outing an activity belongs to."""
    with Store.open(db, "me", read_only=True) as store:
        sessions = store.sessions()
        outing = sessions.filter(pl.col("activity_id") == activity_id)["outing_id"][0]
        ids = sessions.filter(pl.col("outing_id") == outing)["activity_id"].to_list()
        return [f for f, aid in store.activity_files().items() if aid in ids]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-stability", action="store_true")
    parser.add_argument("--skip-agreement", action="store_true")
    args = parser.parse_args()
    if not DATA.is_dir():
        print("skipped: ../shared/data is not here")
        return 0
    truth = tomllib.loads(TRUTH.read_text())["session"]
    started = time.perf_counter()
    if not args.skip_agreement:
        ok, total, unknown, (own, own_ok) = agreement(
            [e for e in truth if (DATA / e["file"]).exists()]
        )
        print(f"agreement: {ok}/{total} = {ok / max(total, 1):.0%} (target >= 90 %)")
        typed = total - unknown
        share = f"{ok}/{typed} = {ok / max(typed, 1):.0%}"
        print(f"  of sessions terskel could judge: {share}; unknown: {unknown}")
        print(f"  typed from the run itself (no markers yet): {own}, agreeing {own_ok}")
    if not args.skip_stability:
        total_changes = 0
        for name in HISTORIES:
            changes = stability(name)
            for label, n in changes.items():
                print(f"stability {name}, {label}: {n} type changes")
            total_changes += sum(changes.values())
        print(f"stability: {total_changes} type changes in all")
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
