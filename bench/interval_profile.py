"""Time `detect_segments` and `session_labels` alone over a benchmark store.

Loads the running activities' samples and laps out of a store once (in the
chunks `terskel analyze` uses), then times the two functions, without DuckDB
writes or other analyses. `--code DIR` times another copy of intervals.py and
samples.py (e.g. the previous version) on the same data in the same run, so
a noisy shared machine still gives a fair comparison.

    uv run python bench/build_store.py /tmp/bench.duckdb --runs 1000
    uv run python bench/interval_profile.py /tmp/bench.duckdb [--code /tmp/old] [--check]

`--check` also compares the segments and labels of every `--code` copy with
the current code's (laps used and laps hidden), so a speed-up can be shown not
to change any result.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import polars as pl

from terskel.jobs.analyze import ANALYZED_SPORTS, CHUNK
from terskel.store import Store


def _load_code(folder: Path, tag: str) -> ModuleType:
    """intervals.py of `folder`, importing samples.py of the same folder."""
    names = {}
    for stem in ("samples", "intervals"):
        name = f"_profile_{tag}_{stem}"
        src = (folder / f"{stem}.py").read_text()
        src = src.replace("terskel.analysis.samples", names.get("samples", "x"))
        spec = importlib.util.spec_from_loader(name, loader=None)
        assert spec is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        exec(compile(src, str(folder / f"{stem}.py"), "exec"), module.__dict__)
        names[stem] = name
    return sys.modules[names["intervals"]]


def _time(mod: Any, chunks: list[tuple[pl.DataFrame, pl.DataFrame]]) -> tuple[float, float]:
    """Wall-clock and CPU seconds (all threads; less sensitive to other load)."""
    t0, c0 = time.perf_counter(), time.process_time()
    for samples, laps in chunks:
        seg = mod.detect_segments(samples.lazy(), laps.lazy()).collect()
        mod.session_labels(seg.lazy()).collect()
    return time.perf_counter() - t0, time.process_time() - c0


def _check(mods: list[tuple[str, Any]], chunks: list[tuple[pl.DataFrame, pl.DataFrame]]) -> bool:
    """Compare segments and labels of every module with the first one's."""
    from polars.testing import assert_frame_equal

    same = True
    for use_laps in (True, False):
        out = []
        for _, mod in mods:
            segs = [
                mod.detect_segments(s.lazy(), lp.lazy(), use_laps=use_laps).collect()
                for s, lp in chunks
            ]
            seg = pl.concat(segs).sort("activity_id", "seg_index")
            out.append((seg, mod.session_labels(seg.lazy()).collect()))
        for (name, _), (seg, lab) in zip(mods[1:], out[1:], strict=True):
            try:
                assert_frame_equal(out[0][0], seg)
                assert_frame_equal(out[0][1], lab)
                print(f"  same results as {name} (use_laps={use_laps})")
            except AssertionError:
                same = False
                diff = (
                    out[0][1]
                    .join(lab, on="activity_id", suffix="_other")
                    .filter(pl.col("label") != pl.col("label_other"))
                )
                seg_diff = (
                    pl.concat([out[0][0], seg])
                    .group_by(pl.exclude("seg_index"))  # rows in only one of the two
                    .len()
                    .filter(pl.col("len") == 1)["activity_id"]
                    .n_unique()
                )
                print(
                    f"  DIFFERENT from {name} (use_laps={use_laps}): segments of {seg_diff} "
                    f"activities, labels of {diff.height}"
                )
                with pl.Config(tbl_rows=20, fmt_str_lengths=60):
                    print(diff.select("activity_id", "label", "label_other").head(20))
    return same


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("db", type=Path)
    ap.add_argument("--code", type=Path, action="append", default=[], help="other code to time")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--check", action="store_true", help="compare results with --code copies")
    args = ap.parse_args()
    store = Store.open(args.db, read_only=True)
    ids = store.activities_to_analyze(None, True, ANALYZED_SPORTS)
    chunks = []
    for k in range(0, len(ids), CHUNK):
        part = ids[k : k + CHUNK]
        chunks.append((store.samples(part).collect(), store.laps(part).collect()))
    n = sum(s.height for s, _ in chunks)
    print(f"{len(ids)} activities, {n:,} samples in {len(chunks)} chunks")
    import terskel.analysis.intervals as current

    mods: list[tuple[str, Any]] = [("current", current)]
    mods += [(str(folder), _load_code(folder, f"c{i}")) for i, folder in enumerate(args.code)]
    same = _check(mods, chunks) if args.check else True
    for _ in range(args.repeat):  # interleave so machine load hits all alike
        for name, mod in mods:
            t, cpu = _time(mod, chunks)
            print(f"  {name:30} {t:6.2f} s  ({n / t:,.0f} samples/s)  cpu {cpu:6.2f} s")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
