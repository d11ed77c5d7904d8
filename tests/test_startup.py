"""Start-up: `terskel --help` (and every command's help) loads no heavy library."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("polars", "duckdb", "numpy", "pydantic", "pyarrow", "altair", "fitfast", "stravalib")

# Runs the console-script entry point in a fresh interpreter and reports what got loaded.
PROBE = """
import json, sys
sys.argv = ["terskel", *json.loads(sys.argv[1])]
from terskel.cli import main
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(m for m in {heavy} if m in sys.modules)))
"""


def _loaded(*args: str) -> list[str]:
    code = PROBE.format(heavy=HEAVY)
    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps(list(args))],
        capture_output=True,
        text=True,
        check=True,
    )
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("args", [("--help",), ("--version",)])
def test_top_level_help_loads_no_heavy_library(args: tuple[str, ...]) -> None:
    assert _loaded(*args) == []


@pytest.mark.parametrize("args", [("report", "--help"), ("sync", "--help"), ("query", "--list")])
def test_command_help_loads_no_data_library(args: tuple[str, ...]) -> None:
    # not pydantic either: typer 0.29 built a pydantic TypeAdapter per parameter (pinned 0.28)
    assert _loaded(*args) == []


def test_analyze_help_still_lists_the_session_rules() -> None:
    from typer.testing import CliRunner

    from terskel.analysis.sessions import RULES
    from terskel.cli import app

    result = CliRunner().invoke(app, ["analyze", "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert "Session types, first rule that matches" in result.output
    assert RULES[0] in result.output and RULES[-1].split(" ")[0] in result.output


# The entry point's exit code and stdout as a user gets them, and (on stderr) what got loaded.
ENTRY = """
import atexit, json, sys
sys.argv = ["terskel", *json.loads(sys.argv[1])]
libraries = ("typer", "rich", *{heavy})
loaded = lambda: [m for m in libraries if m in sys.modules]
atexit.register(lambda: print(json.dumps(loaded()), file=sys.stderr))
from terskel.cli import main
main()
"""


def _terskel(args: list[str], cache: Path, **env: str) -> tuple[int, bytes, list[str]]:
    """Exit code, stdout bytes and the loaded libraries of the entry point run fresh."""
    done = subprocess.run(
        [sys.executable, "-c", ENTRY.format(heavy=HEAVY), json.dumps(args)],
        capture_output=True,
        env={**os.environ, "TERSKEL_CACHE_DIR": str(cache), **env},
        check=False,
    )
    return done.returncode, done.stdout, json.loads(done.stderr.decode().splitlines()[-1])


@pytest.mark.parametrize("args", [["--help"], ["--version"], []])
@pytest.mark.parametrize("env", [{"COLUMNS": "80"}, {"COLUMNS": "123", "FORCE_COLOR": "1"}])
def test_replayed_output_is_typers_byte_for_byte(
    tmp_path: Path, args: list[str], env: dict[str, str]
) -> None:
    rendered = _terskel(args, tmp_path, **env)  # a miss: typer renders and it is recorded
    assert "typer" in rendered[2] and rendered[0] == (2 if not args else 0)
    replayed = _terskel(args, tmp_path, **env)
    assert replayed[2] == []  # nothing imported: neither typer nor rich
    assert replayed[:2] == rendered[:2]
    assert _terskel(args, tmp_path / "empty", **env)[:2] == rendered[:2]  # fresh typer agrees


def test_a_changed_terminal_is_rendered_again(tmp_path: Path) -> None:
    narrow = _terskel(["--help"], tmp_path, COLUMNS="70")
    wide = _terskel(["--help"], tmp_path, COLUMNS="120")
    assert "typer" in wide[2]  # a miss, not the 70-column record
    assert max(len(line) for line in wide[1].decode().splitlines()) == 120
    assert max(len(line) for line in narrow[1].decode().splitlines()) == 70
    again = _terskel(["--help"], tmp_path, COLUMNS="120")
    assert again[2] == [] and again[1] == wide[1]


def test_a_changed_source_file_is_rendered_again(tmp_path: Path) -> None:
    from terskel.cli import replay

    _terskel(["--version"], tmp_path)
    assert _terskel(["--version"], tmp_path)[2] == []
    record = tmp_path / "version.txt"
    stored_key, rest = record.read_text().split("\n", 1)
    record.write_text(f"{'0' * len(stored_key)}\n{rest}")  # as if a source file changed
    assert "typer" in _terskel(["--version"], tmp_path)[2]
    assert replay.replay(["import", "x.fit"]) is None  # only the few pure argument lists


# What a command run fresh registered and loaded: the commands typer built, the cli modules.
REGISTERED = """
import atexit, json, sys
sys.argv = ["terskel", *json.loads(sys.argv[1])]
def report():
    from terskel.cli.common import app
    import typer.main, gc
    names = sorted(typer.main.get_command(app).commands)
    cli = sorted(m for m in sys.modules if m.startswith("terskel.cli."))
    print(json.dumps([names, cli, gc.get_threshold()[0]]), file=sys.stderr)
atexit.register(report)
from terskel.cli import main
main()
"""


def _registered(args: list[str], cache: Path) -> tuple[list[str], list[str], int]:
    done = subprocess.run(
        [sys.executable, "-c", REGISTERED, json.dumps(args)],
        capture_output=True,
        env={**os.environ, "TERSKEL_CACHE_DIR": str(cache)},
        check=False,
    )
    names, modules, threshold = json.loads(done.stderr.decode().splitlines()[-1])
    return names, modules, threshold


def test_a_command_registers_only_its_own_module(tmp_path: Path) -> None:
    db = str(tmp_path / "none.duckdb")
    names, modules, threshold = _registered(["--db", db, "report", "week"], tmp_path)
    assert names == ["report"]
    assert "terskel.cli.report" in modules
    assert not {"terskel.cli.core", "terskel.cli.query", "terskel.cli.sync"} & set(modules)
    assert threshold == 200_000  # the collector is not run ~150 times during start-up
    assert _registered(["--lock-wait", "3", "query", "--list"], tmp_path)[0] == [
        "export", "query", "status"
    ]  # fmt: skip


@pytest.mark.parametrize("args", [["--help"], ["--db", "x", "--help", "report"], ["reprot"]])
def test_what_lists_commands_registers_them_all(tmp_path: Path, args: list[str]) -> None:
    from terskel.cli import MODULES

    assert _registered(args, tmp_path)[0] == sorted(MODULES)


def test_each_command_is_registered_by_its_modules() -> None:
    import typer.main

    from terskel.cli import MODULES, app

    assert sorted(typer.main.get_command(app).commands) == sorted(MODULES)
    for name, modules in MODULES.items():
        imports = "; ".join(f"import terskel.cli.{m}" for m in modules)
        code = f"{imports}; import typer.main; from terskel.cli.common import app; "
        code += "print(sorted(typer.main.get_command(app).commands))"
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert f"'{name}'" in done.stdout, (name, done.stderr)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo runs imported and analysed, in one file."""
    from terskel.jobs.analyze import analyze
    from terskel.jobs.ingest import import_paths
    from terskel.store import Store
    from tests.conftest import DEMO_DATA

    db = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    with Store.open(db) as store:
        import_paths(store, [DEMO_DATA], workers=1)
        analyze(store)
        store.checkpoint()
    return db


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_a_named_query_loads_no_polars(demo_db: Path, tmp_path: Path, fmt: str) -> None:
    """`terskel query NAME` prints DuckDB's rows (store/rows.py): polars is ~0.12 s of it."""
    args = ["--db", str(demo_db), "query", "weekly_volume", "--format", fmt]
    code, out, loaded = _terskel(args, tmp_path)
    assert code == 0 and out.count(b"\n") > 2, out[:300]
    assert "duckdb" in loaded and not {"polars", "pyarrow", "numpy"} & set(loaded)


def test_a_query_to_parquet_still_writes_through_polars(demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "w.parquet"
    args = ["--db", str(demo_db), "query", "weekly_volume", "--format", "parquet"]
    code, _, loaded = _terskel([*args, "--out", str(out)], tmp_path)
    assert code == 0 and out.read_bytes().startswith(b"PAR1") and "polars" in loaded


@pytest.mark.parametrize("fmt", ["text", "md", "json"])
def test_a_week_report_loads_no_polars(demo_db: Path, tmp_path: Path, fmt: str) -> None:
    """The report reads rows (store/report_frames.py) and merges them in plain Python."""
    args = ["--db", str(demo_db), "report", "week", "--format", fmt]
    code, out, loaded = _terskel(args, tmp_path, COLUMNS="120")
    assert code == 0 and len(out.splitlines()) > 10, out[:300]
    assert "duckdb" in loaded and not {"polars", "pyarrow", "numpy"} & set(loaded)


# What an import run fresh loaded of the analysis stack (printed on stderr at exit).
ANALYSIS_LOADED = """
import atexit, json, sys
sys.argv = ["terskel", *json.loads(sys.argv[1])]
names = ("terskel.analysis", "terskel.jobs.analyze")
stack = lambda: sorted(m for m in sys.modules if m.startswith(names))
atexit.register(lambda: print(json.dumps(stack()), file=sys.stderr))
from terskel.cli import main
main()
"""
DEMO_FIT = Path(__file__).parents[1] / "src/terskel/data/demo/tormoder__0137001239.fit"


def _import_loads(args: list[str], tmp_path: Path) -> tuple[int, str, list[str]]:
    """Exit code, stdout and the analysis modules loaded by `terskel import ARGS DEMO_FIT`."""
    db = str(tmp_path / "store.duckdb")
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            ANALYSIS_LOADED,
            json.dumps(["--db", db, "import", *args, str(DEMO_FIT)]),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "TERSKEL_CACHE_DIR": str(tmp_path)},
        check=False,
    )
    return done.returncode, done.stdout, json.loads(done.stderr.splitlines()[-1])


def test_import_no_analyze_loads_no_analysis_module(tmp_path: Path) -> None:
    code, stdout, loaded = _import_loads(["--no-analyze"], tmp_path)
    assert code == 0 and "imported 1," in stdout
    assert "analysed" not in stdout
    assert loaded == []


def test_import_with_analysis_loads_the_analysis_stack(tmp_path: Path) -> None:
    code, stdout, loaded = _import_loads([], tmp_path)  # the probe sees the stack when used
    assert code == 0 and "analysed 1 new runs" in stdout
    assert {"terskel.jobs.analyze", "terskel.analysis.sessions"} <= set(loaded)


def test_an_import_worker_loads_no_store() -> None:
    # a spawned decoding worker imports the module of its job: only the decoder's
    code = "import sys, terskel.jobs.decoding; print(sorted(m for m in {} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", code.format(("duckdb", "terskel.store", "rich", "fitfast"))],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split() == ["['fitfast']"]


# pydantic validates a config file or template once per content (terskel/validated.py)
NO_DATA = {"polars", "pyarrow", "numpy"}


def _no_config(tmp_path: Path) -> dict[str, str]:
    """An environment whose platform config folder holds no config file."""
    return {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "COLUMNS": "120"}


def test_a_named_query_loads_no_pydantic(demo_db: Path, tmp_path: Path) -> None:
    args = ["--db", str(demo_db), "query", "weekly_volume", "--format", "csv"]
    code, out, loaded = _terskel(args, tmp_path, **_no_config(tmp_path))
    assert code == 0 and out.startswith(b"iso_week,runs,km") and out.count(b"\n") > 2, out[:200]
    assert "duckdb" in loaded and not {"pydantic", *NO_DATA} & set(loaded)


def test_a_week_report_validates_its_template_once(demo_db: Path, tmp_path: Path) -> None:
    args = ["--db", str(demo_db), "report", "week", "--format", "json"]
    first = _terskel(args, tmp_path, **_no_config(tmp_path))
    assert first[0] == 0 and "pydantic" in first[2]  # the shipped template, validated
    again = _terskel(args, tmp_path, **_no_config(tmp_path))
    assert again[0] == 0 and not {"pydantic", *NO_DATA} & set(again[2])
    assert again[1] == first[1] and b'"name": "norwegian-elite"' in again[1]


def test_a_config_file_is_validated_when_its_content_is_new(demo_db: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[report]\ntemplate = "polarized"\n')
    args = ["--config", str(config), "--db", str(demo_db), "report", "week", "--format", "json"]
    first = _terskel(args, tmp_path)
    assert first[0] == 0 and "pydantic" in first[2] and b'"name": "polarized"' in first[1]
    again = _terskel(args, tmp_path)
    assert again[0] == 0 and "pydantic" not in again[2] and again[1] == first[1]
    config.write_text('[report]\ntemplate = "sweet-spot"\n')  # edited: validated again
    edited = _terskel(args, tmp_path)
    assert edited[0] == 0 and "pydantic" in edited[2] and b'"name": "sweet-spot"' in edited[1]
    config.write_text("[athlete]\nmax_hr = 30\n")  # an invalid edit is never masked
    assert _terskel(args, tmp_path)[0] == 2


# What a one-file import under cron (stderr not a terminal) has no use for: the progress
# bar, the worker pools (import's and the interval model's), the Strava export reader.
# (concurrent.futures is not listed: polars' lazy frames import it.)
NIGHTLY_UNUSED = ("rich.progress", "multiprocessing", "terskel.sources.strava_export")


def test_a_nightly_one_file_import_loads_no_progress_bar_or_worker_pool(tmp_path: Path) -> None:
    from tests.conftest import DEMO_DATA

    config = tmp_path / "config.toml"
    config.touch()
    one = sorted(DEMO_DATA.glob("*.fit"))[0]
    args = ["--db", str(tmp_path / "s.duckdb"), "--config", str(config), "import", str(one)]
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=NIGHTLY_UNUSED), json.dumps(args)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "TERM": "xterm"},  # a terminal type, but stderr is a pipe
    )
    assert "imported 1" in done.stdout
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
    assert done.stderr == ""  # no progress bar drawn into cron's mail


def test_a_command_does_not_scan_installed_packages_for_pydantic_plugins(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.touch()
    probe = PROBE.format(heavy=()).replace(
        "print(json.dumps(", "import pydantic.plugin._loader as p; print(p._plugins is None)\n#"
    )
    args = ["--db", str(tmp_path / "s.duckdb"), "--config", str(config), "activities"]
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    done = subprocess.run(
        [sys.executable, "-c", probe, json.dumps(args)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    assert done.stdout.strip().splitlines()[-1] == "True"  # never loaded: never scanned


# The script's entry (`run`): the command's exit code, atexit functions run, and no
# interpreter teardown (a module global's __del__ would print in it).
RUN = """
import atexit, json, sys
sys.argv = ["terskel", *json.loads(sys.argv[1])]
class Late:
    def __del__(self):
        print("teardown", file=sys.stderr)
late = Late()
atexit.register(lambda: print("atexit ran", file=sys.stderr))
from terskel.cli import run
run()
"""


@pytest.mark.parametrize(("args", "code"), [(["--version"], 0), (["reprot"], 2)])
def test_run_ends_at_once_with_the_commands_code(
    tmp_path: Path, args: list[str], code: int
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", RUN, json.dumps(args)],
        capture_output=True,
        text=True,
        env={**os.environ, "TERSKEL_CACHE_DIR": str(tmp_path)},
        check=False,
    )
    assert done.returncode == code, done.stderr
    assert done.stderr.rstrip().endswith("atexit ran") and "teardown" not in done.stderr
    assert (code == 0) == bool(done.stdout.strip())  # the version, flushed before the end


def test_an_import_by_the_script_leaves_a_whole_store(tmp_path: Path) -> None:
    from terskel.store import Store

    db = tmp_path / "store.duckdb"
    done = subprocess.run(
        [sys.executable, "-m", "terskel", "--db", str(db), "import", str(DEMO_FIT)],
        capture_output=True,
        text=True,
        env={**os.environ, "TERSKEL_CACHE_DIR": str(tmp_path)},
        check=False,
    )
    assert done.returncode == 0 and "imported 1" in done.stdout, done.stderr
    assert not db.with_name(db.name + ".wal").exists()  # folded at close, as always
    with Store.open(db, read_only=True) as store:
        assert store.scalar("SELECT count(*) FROM sessions") == 1
