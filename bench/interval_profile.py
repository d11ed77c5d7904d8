"""Time `detect_segments` and `session_labels` alone over a benchmark store.

Loads the running activities' samples and laps out of a store once (in the
chunks `terskel analyze` uses), then times the two functions, without DuckDB
writes or other analyses. `--code DIR` times another copy of intervals.py and
samples.py (e.g. the previous version) on the same data in the same run, so
a noisy shared machine still gives a fair comparison.

    uv run python bench/build_store.py /tmp/bench.duckdb --runs 1000
    uv run python bench/interval_profile.py /tmp/bench.duckdb [--code /tmp/old]
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

from terskel.analyze import ANALYZED_SPORTS, CHUNK
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


def _time(mod: Any, chunks: list[tuple[pl.DataFrame, pl.DataFrame]], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for samples, laps in chunks:
            seg = mod.detect_segments(samples.lazy(), laps.lazy()).collect()
            mod.session_labels(seg.lazy()).collect()
        out.append(time.perf_counter() - t0)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("db", type=Path)
    ap.add_argument("--code", type=Path, action="append", default=[], help="other code to time")
    ap.add_argument("--repeat", type=int, default=2)
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
    for _ in range(args.repeat):  # interleave so machine load hits all alike
        for name, mod in mods:
            (t,) = _time(mod, chunks, 1)
            print(f"  {name:30} {t:6.2f} s  ({n / t:,.0f} samples/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
