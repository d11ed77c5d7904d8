"""`import` by a baseline revision and by this tree: the same stored rows and raw payloads.

Imports every FIT file of bench/import_throughput.py's folders into a fresh store with
each tree's code (src/ first on PYTHONPATH, this venv), then compares every table row
for row as bench/rebuild_check.py does (clock-stamped columns left out), and the
decompressed bytes of every file in the two raw folders. Activity ids follow the order
in which the workers finish, so stores match row for row only with `--workers 1`
(the default here); with more, compare a tree with itself to see that noise.

`--against-rebuild`: per tree (the baseline's, then this one's), `import` with
`--workers 2` (the structure is then found between batches, in the decoding workers),
then `analyze --rebuild` of a copy of that same store: every table of the two compared
row for row, differing rows printed per table and tree (0 expected: the analysis must
not depend on how the import ran). The batches a file lands in follow which worker
finishes first, so `--repeat N` imports N times per tree and sums the differences;
PATH... imports those instead of the benchmark folders (the runs twice recorded in
`../shared/data/fit/running` fall in adjacent batches with `../shared/data/history`).

    uv run python bench/import_check.py [--base main] [--no-analyze] [--workers 1]
    uv run python bench/import_check.py --against-rebuild [--repeat 3] [PATH ...]
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from analysed_store import copy_store, raw_folder
from import_throughput import FOLDERS
from rebuild_check import differences
from test_time import export


def _env(tree: Path | None) -> dict[str, str] | None:
    return None if tree is None else {**os.environ, "PYTHONPATH": str(tree / "src")}


def import_into(
    tree: Path | None, db: Path, analyze: bool, workers: int, paths: list[Path] = FOLDERS
) -> None:
    """`terskel import` of `paths` (the benchmark folders) into `db` by `tree`'s code
    (None: this one)."""
    command = [sys.executable, "-m", "terskel", "--db", str(db), "import"]
    command += [f"--workers={workers}"] + ([] if analyze else ["--no-analyze"])
    command += [str(f) for f in paths]
    subprocess.run(command, env=_env(tree), capture_output=True, check=False)


def rebuild_differences(
    tree: Path | None, folder: Path, paths: list[Path]
) -> list[tuple[str, int, int]]:
    """Per table: rows and rows differing between an import with workers by `tree`'s code
    and `analyze --rebuild` (same code) of a copy of that store."""
    imported, rebuilt = folder / "imported.duckdb", folder / "rebuilt.duckdb"
    for db in (imported, rebuilt):  # the last repeat's
        for stale in (db, db.with_name(db.name + ".wal")):
            stale.unlink(missing_ok=True)
        shutil.rmtree(raw_folder(db), ignore_errors=True)
    import_into(tree, imported, True, 2, paths)
    copy_store(imported, rebuilt)
    command = [sys.executable, "-m", "terskel", "--db", str(rebuilt), "analyze", "--rebuild"]
    subprocess.run(command, env=_env(tree), capture_output=True, check=False)
    return differences(imported, rebuilt)


def against_rebuild(base: str, repeat: int, paths: list[Path]) -> int:
    """Print, per table, the rows an import and a rebuild of its store disagree on, per tree."""
    found: dict[str, dict[str, int]] = {base: {}, "this tree": {}}
    rows: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as temp:
        trees = {base: export(base, Path(temp)), "this tree": None}
        for _ in range(repeat):  # alternating: both meet the same load and worker timing
            for name, tree in trees.items():
                for table, count, differing in rebuild_differences(tree, Path(temp), paths):
                    rows[table] = count
                    found[name][table] = found[name].get(table, 0) + differing
    print(f"import --workers 2 against analyze --rebuild of its store, {repeat} import(s) each")
    print(f"{'table':24s} {'rows':>9s}  {'differ [' + base + ']':>16s}  differ [this tree]")
    for table, count in rows.items():
        print(f"{table:24s} {count:9d}  {found[base][table]:16d}  {found['this tree'][table]:6d}")
    total = sum(found["this tree"].values())
    print(f"differing rows: {sum(found[base].values())} [{base}], {total} [this tree]")
    return 1 if total else 0


def payloads(db: Path) -> dict[str, bytes]:
    """Relative path -> original bytes of every payload in a store's raw folder."""
    root = db.with_name(db.name + ".raw")
    return {
        p.relative_to(root).as_posix(): gzip.decompress(p.read_bytes()) for p in root.rglob("*.gz")
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", default="main")
    parser.add_argument("--no-analyze", action="store_true")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--against-rebuild", action="store_true")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("paths", nargs="*", type=Path, default=FOLDERS)
    args = parser.parse_args()
    if args.against_rebuild:
        return against_rebuild(args.base, args.repeat, args.paths)
    with tempfile.TemporaryDirectory() as temp:
        base_db, this_db = Path(temp) / "base.duckdb", Path(temp) / "this.duckdb"
        import_into(export(args.base, Path(temp)), base_db, not args.no_analyze, args.workers)
        import_into(None, this_db, not args.no_analyze, args.workers)
        diffs = differences(base_db, this_db)
        for table, rows, differing in diffs:
            print(f"{table:24s} {rows:9d} rows  {differing} differ")
        a, b = payloads(base_db), payloads(this_db)
        same = a == b
        print(f"raw payloads: {len(a)} [{args.base}], {len(b)} [this tree], identical: {same}")
    return 0 if same and not any(d for _, _, d in diffs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
