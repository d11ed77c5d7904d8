"""Snapshot every CLI output on the demo and on ../shared/data, to prove a refactor changed nothing.

Usage (from the repository root):
    uv run python scripts/cli_snapshot.py snap OUT   # run the commands, one file per output
    uv run python scripts/cli_snapshot.py diff OLD NEW  # list outputs that differ; exit 1 if any

Take a snapshot on the commit before the change and one after; `diff` must print nothing.
Paths of the temporary folders are replaced by <TMP>, so two runs of the same code compare equal.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
# Real files from three runners and three kinds of input (FIT folders, a Garmin zip).
IMPORTS = [
    SHARED / "history" / "coros-road-runner",
    SHARED / "fit" / "running-more",
    SHARED / "garmin" / "original_downloads",
]
WEEKS = ["2026-W14", "2026-W16", "2026-W19", "2026-W22", "2026-W33"]
HELP = [
    [],
    ["analyze"],
    ["intervals"],
    ["athlete"],
    ["init"],
    ["import"],
    ["activities"],
    ["demo"],
    ["sync"],
    ["query"],
    ["status"],
    ["export"],
    ["sessions"],
    ["auth"],
    ["auth", "strava"],
    ["auth", "garmin"],
    ["lactate"],
    ["lactate", "add"],
    ["lactate", "import"],
    ["lactate", "show"],
    ["report"],
    ["report", "week"],
    ["report", "weeks"],
]


def _env(tmp: Path) -> dict[str, str]:
    """A fixed environment: no user config, fixed width, no colour, UTC."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TERSKEL_")}
    env.update(
        HOME=str(tmp / "home"),
        XDG_CONFIG_HOME=str(tmp / "home" / ".config"),
        XDG_DATA_HOME=str(tmp / "home" / ".local" / "share"),
        XDG_CACHE_HOME=str(tmp / "home" / ".cache"),
        TERSKEL_DB=str(tmp / "store.duckdb"),
        COLUMNS="100",
        LINES="50",
        NO_COLOR="1",
        TERM="dumb",
        TZ="UTC",
    )
    return env


def _normalise(text: str, tmp: Path) -> str:
    """Replace the temporary folders and per-run durations, which differ between any two runs."""
    text = text.replace(str(tmp), "<TMP>").replace(tempfile.gettempdir(), "<SYSTMP>")
    text = re.sub(r"<SYSTMP>/[\w.-]+", "<SYSTMP>/<X>", text)
    # wall-clock figures ("in 3.2 s", "12.5 files/s") and today's timestamps
    text = re.sub(r"\b\d+(\.\d+)? ?(s|ms|files/s)\b", "<T>", text)
    text = re.sub(
        r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(\+\d{2}:?\d{2}|Z)?", "<TS>", text
    )
    return text


def _run(out: Path, name: str, args: list[str], tmp: Path) -> None:
    """Run one terskel command and keep its exit code, stdout and stderr."""
    proc = subprocess.run(
        [sys.executable, "-m", "terskel", *args],
        env=_env(tmp),
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp,
    )
    head = f"$ terskel {' '.join(args)}\nexit {proc.returncode}\n"
    body = f"{head}--- stdout\n{proc.stdout}--- stderr\n{proc.stderr}"
    (out / f"{name}.txt").write_text(_normalise(body, tmp))
    print(f"{name}: exit {proc.returncode}", flush=True)


def _digest_tree(folder: Path) -> str:
    """One line per exported file: relative path, row count and a digest of its sorted rows.

    The bytes of a Parquet file depend on DuckDB's thread scheduling; the rows do not.
    Columns the store stamps with the wall clock (`imported_at`, `analyzed_at`, ...: every
    `*_at`) are left out, as the text outputs' timestamps are: they differ between any two runs.
    """
    import duckdb  # the project's own dependency; only this step needs it

    lines = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        source = f"read_parquet('{path}')"
        names = [row[0] for row in duckdb.sql(f"DESCRIBE SELECT * FROM {source}").fetchall()]
        kept = ", ".join(f'"{n}"' for n in names if not n.endswith("_at"))
        rows = duckdb.sql(f"SELECT {kept} FROM {source} ORDER BY ALL").fetchall()
        digest = hashlib.sha256(repr(rows).encode()).hexdigest()
        lines.append(f"{path.relative_to(folder)} {len(rows)} {digest}")
    return "\n".join(lines) + "\n"


def _first_ids(out: Path, count: int) -> list[str]:
    """Activity ids from the stored `activities --json` output (the first `count` runs)."""
    text = (out / "activities-json.txt").read_text()
    return re.findall(r"\"id\": (\d+)", text)[:count]


def snap(out: Path) -> None:
    """Run every command and write its output into `out`."""
    out.mkdir(parents=True, exist_ok=False)
    with tempfile.TemporaryDirectory() as raw:
        tmp = Path(raw)
        (tmp / "home").mkdir()
        for args in HELP:
            _run(out, "help-" + ("-".join(args) or "top"), [*args, "--help"], tmp)
        _run(out, "demo", ["demo"], tmp)
        if not SHARED.is_dir():
            print(f"{SHARED} is missing: only help and demo were taken")
            return
        # one worker: ids are given in file order, the same in every run
        _run(out, "import", ["import", *map(str, IMPORTS), "--workers", "1"], tmp)
        _run(out, "activities", ["activities"], tmp)
        _run(out, "activities-json", ["activities", "--json"], tmp)
        _run(
            out,
            "activities-run-since",
            ["activities", "--sport", "run", "--since", "2024-01-01"],
            tmp,
        )
        _run(out, "activities-quarantined", ["activities", "--quarantined"], tmp)
        _run(out, "status", ["status"], tmp)
        for activity in _first_ids(out, 40)[::3]:
            _run(out, f"intervals-{activity}", ["intervals", activity], tmp)
            _run(out, f"intervals-json-{activity}", ["intervals", activity, "--json"], tmp)
            _run(out, f"intervals-explain-{activity}", ["intervals", activity, "--explain"], tmp)
            _run(out, f"intervals-nolaps-{activity}", ["intervals", activity, "--no-laps"], tmp)
            _run(out, f"sessions-{activity}", ["sessions", activity], tmp)
            _run(out, f"lactate-show-{activity}", ["lactate", "show", activity], tmp)
        _run(out, "sessions", ["sessions"], tmp)
        _run(out, "athlete", ["athlete", "--on", "2024-06-01"], tmp)
        _run(out, "athlete-json", ["athlete", "--on", "2024-06-01", "--json"], tmp)
        _run(out, "lactate-show", ["lactate", "show"], tmp)
        _run(out, "query-list", ["query", "--list"], tmp)
        for sql in sorted(
            (Path(__file__).resolve().parents[1] / "src" / "terskel" / "queries").glob("*.sql")
        ):
            _run(out, f"query-{sql.stem}", ["query", sql.stem, "--format", "csv"], tmp)
        _run(out, "query-refused", ["query", "COPY activities TO 'x.csv'"], tmp)
        for week in WEEKS:
            for fmt in ("text", "md", "json"):
                _run(
                    out,
                    f"report-{week}-{fmt}",
                    ["report", "week", "--week", week, "--format", fmt],
                    tmp,
                )
            html = tmp / f"{week}.html"
            _run(
                out,
                f"report-{week}-html",
                ["report", "week", "--week", week, "--format", "html", "--out", str(html)],
                tmp,
            )
            (out / f"report-{week}-html-file.txt").write_text(
                _normalise(html.read_text() if html.exists() else "", tmp)
            )
        _run(out, "report-weeks", ["report", "weeks"], tmp)
        _run(out, "analyze-zones", ["analyze", "--zones"], tmp)
        _run(out, "analyze-rebuild", ["analyze", "--rebuild"], tmp)
        _run(out, "report-weeks-after-rebuild", ["report", "weeks"], tmp)
        _run(out, "export", ["export", "--parquet", str(tmp / "parquet")], tmp)
        (out / "export-files.txt").write_text(
            _digest_tree(tmp / "parquet") if (tmp / "parquet").exists() else ""
        )
        _run(out, "import-again", ["import", str(IMPORTS[0])], tmp)
        _run(out, "bad-import", ["import", str(tmp / "missing.fit")], tmp)


def diff(old: Path, new: Path) -> int:
    """Print a unified diff of every output that differs between two snapshots."""
    names = sorted({p.name for p in old.glob("*.txt")} | {p.name for p in new.glob("*.txt")})
    differing = 0
    for name in names:
        a = (old / name).read_text().splitlines() if (old / name).exists() else ["<missing>"]
        b = (new / name).read_text().splitlines() if (new / name).exists() else ["<missing>"]
        if a != b:
            differing += 1
            sys.stdout.writelines(
                line + "\n"
                for line in difflib.unified_diff(
                    a, b, str(old / name), str(new / name), lineterm="", n=1
                )
            )
    print(f"{len(names)} outputs compared, {differing} differ")
    return 1 if differing else 0


def main(argv: list[str]) -> int:
    """Dispatch `snap OUT` or `diff OLD NEW`."""
    if len(argv) == 2 and argv[0] == "snap":
        snap(Path(argv[1]))
        return 0
    if len(argv) == 3 and argv[0] == "diff":
        return diff(Path(argv[1]), Path(argv[2]))
    print(__doc__)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
