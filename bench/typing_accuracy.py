"""Session typing against the true types of the labelled sessions (issue 13).

Usage: uv run python bench/typing_accuracy.py

Truth: bench/labels/session-types.toml (one entry per labelled session of
../shared/data/labels/intervals.toml and bench/labels/intervals-more.toml:
type easy/long/tempo/race/threshold/vo2, a one-line reason, `doubt` where HR
and pace disagree; the rule is written at the top of that file).

Skeleton: the truth part is done (loading, checks, the table of true types per
athlete). The typing call (`type_sessions`) and the stability test (type the
two ../shared/data/history folders alone and together with other data; count
sessions whose type changes) are left to the typing work: fill in the two
functions marked TODO. Until then the script prints the truth and says so.
"""

from __future__ import annotations

import sys
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from interval_accuracy import DATA, labelled_sessions

BENCH = Path(__file__).resolve().parent
TRUTH_FILE = BENCH / "labels" / "session-types.toml"
TYPES = ("easy", "long", "tempo", "race", "threshold", "vo2")


def truth() -> list[dict[str, Any]]:
    """The true type of every labelled session, checked against the label files."""
    entries = tomllib.loads(TRUTH_FILE.read_text())["session"]
    bad = [e["file"] for e in entries if e["type"] not in TYPES]
    if bad:
        raise SystemExit(f"{TRUTH_FILE.name}: unknown type in {', '.join(bad)}")
    labelled = {s["file"] for s in labelled_sessions()}
    missing = sorted(labelled - {e["file"] for e in entries})
    if missing:
        raise SystemExit(f"{TRUTH_FILE.name}: no type for {', '.join(missing)}")
    return [e for e in entries if (DATA / e["file"]).exists()]


# TODO (typing): the one place the bench calls the typing code.
def type_sessions(files: list[str]) -> dict[str, str] | None:
    """Type of each file (import them into a throw-away store, analyze, read types)."""
    return None


# TODO (typing): the stability test of issue 13.
def stability() -> None:
    """History alone vs history + other runners' files + a second athlete: type changes."""
    print("stability test: not written yet")


def main() -> int:
    if not TRUTH_FILE.exists() or not DATA.exists():
        print("no truth or no ../shared data: nothing to measure")
        return 0
    entries = truth()
    by_athlete: dict[str, Counter[str]] = {}
    for e in entries:
        by_athlete.setdefault(e["athlete"], Counter())[e["type"]] += 1
    print(
        f"{len(entries)} sessions with a true type; {sum('doubt' in e for e in entries)} in doubt"
    )
    print(f"{'athlete':22} " + " ".join(f"{t:>9}" for t in TYPES))
    for a in sorted(by_athlete, key=str.lower):
        print(f"{a:22} " + " ".join(f"{by_athlete[a][t]:9}" for t in TYPES))
    found = type_sessions([e["file"] for e in entries])
    if found is None:
        print("typing not wired in yet (type_sessions returns None): no agreement measured")
    else:
        agree = [e for e in entries if found.get(e["file"]) == e["type"]]
        print(f"agreement: {len(agree)}/{len(entries)} = {len(agree) / len(entries):.0%}")
        for e in entries:
            if found.get(e["file"]) != e["type"]:
                got = found.get(e["file"], "-")
                print(
                    f"  {e['file'].split('/')[-1]:44} true {e['type']:9} got {got:9} {e['reason']}"
                )
    stability()
    return 0


if __name__ == "__main__":
    sys.exit(main())
