"""The 1,092-run analysed store the speed benches share (built once, then reused).

`bench/build_store.py` imports every real run in ../shared/data and replicates it to
>= 1,000 runs; this adds `analyze --rebuild` and keeps the file (default
/tmp/terskel-bench/analysed.duckdb) so each bench starts from the same store. Benches
copy it before writing.

    uv run python bench/analysed_store.py [PATH]   # build (or report) the store
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import build_store

DEFAULT = Path("/tmp/terskel-bench/analysed.duckdb")
RUNS = 1000
# a real run recorded after every run in the store: the "nightly" file
NEW_FILE = build_store.SHARED / "fit" / "running-more" / "XiangLi00__13448256584_ACTIVITY.fit"


def available() -> bool:
    """True when ../shared/data is here (print why not otherwise)."""
    if all(p.is_dir() for p in build_store.SOURCES) and NEW_FILE.is_file():
        return True
    print(f"skipped: {build_store.SHARED} is not here")
    return False


def store_and_repeat(description: str | None) -> tuple[Path, int] | None:
    """The benches' shared arguments: [STORE] [--repeat N]; None when ../shared is absent."""
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("store", nargs="?", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not available():
        return None
    return (analysed_store(args.store) if args.store else analysed_store()), args.repeat


def analysed_store(path: Path = DEFAULT) -> Path:
    """The analysed bench store at `path`, built when missing (takes minutes)."""
    from terskel.store import Store, StoreError

    if path.exists():
        try:
            with Store.open(path, read_only=True) as store:
                if store.scalar("SELECT count(*) FROM sessions"):
                    return path
        except StoreError as exc:  # e.g. an older schema: the message says what to run
            raise SystemExit(f"bench store: {exc}") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".building")
    start = time.perf_counter()
    runs = build_store.build(partial, RUNS)
    from terskel.jobs.analyze import analyze

    with Store.open(partial) as store:
        analyze(store, rebuild=True)
        store.checkpoint()  # one file: benches copy it
    partial.rename(path)
    if raw_folder(partial).is_dir():  # the raw bytes go with the file they belong to
        # replacing an unanalysed store at `path` (built by build_store.py): its folder too
        shutil.rmtree(raw_folder(path), ignore_errors=True)
        raw_folder(partial).rename(raw_folder(path))
    print(f"built {path}: {runs} runs, analysed, in {time.perf_counter() - start:.0f} s")
    return path


def scratch_copy(path: Path, name: str) -> Path:
    """A fresh copy of the store beside it (WAL and raw folder too), for a bench that writes."""
    return copy_store(path, path.with_name(name))


def copy_store(store: Path, target: Path) -> Path:
    """A fresh copy of the store at `target`: its file, WAL and raw folder."""
    for stale in (target, target.with_name(target.name + ".wal")):
        stale.unlink(missing_ok=True)
    shutil.rmtree(raw_folder(target), ignore_errors=True)
    shutil.copyfile(store, target)
    wal = store.with_name(store.name + ".wal")
    if wal.exists():  # a store a writer did not fold: the WAL is part of it
        shutil.copyfile(wal, target.with_name(target.name + ".wal"))
    if raw_folder(store).is_dir():  # the original FIT bytes (store/raw_folder.py)
        shutil.copytree(raw_folder(store), raw_folder(target))
    return target


def raw_folder(db: Path) -> Path:
    """Where a store keeps the original files' bytes (absent for a store of schema < 9)."""
    return db.with_name(db.name + ".raw")


def store_bytes(db: Path) -> int:
    """Bytes of a store on disk: the file, its WAL and its raw folder."""
    wal = db.with_name(db.name + ".wal")
    raw = raw_folder(db)
    payloads = sum(p.stat().st_size for p in raw.rglob("*") if p.is_file()) if raw.is_dir() else 0
    return db.stat().st_size + (wal.stat().st_size if wal.exists() else 0) + payloads


def timed(command: list[str], repeat: int = 3) -> tuple[float, float, str]:
    """Median wall and child-CPU seconds of `repeat` runs of a command, and its last stdout.

    CPU time is the steadier figure on a shared machine; wall time follows the load.
    """
    walls, cpus, out = [], [], ""
    for _ in range(repeat):
        before = os.times()
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        walls.append(time.perf_counter() - start)
        after = os.times()
        cpus.append(
            after.children_user
            - before.children_user
            + after.children_system
            - before.children_system
        )
        if done.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(command)}: exit {done.returncode}\n{done.stderr[-500:]}")
        out = done.stdout
    return statistics.median(walls), statistics.median(cpus), out


TERSKEL = [sys.executable, "-m", "terskel"]


def store_arg() -> Path:
    """The store path from argv[1], else the default."""
    return Path(sys.argv[1]) if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else DEFAULT


if __name__ == "__main__":
    if available():
        print(analysed_store(store_arg()))
