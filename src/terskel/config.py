"""Typed configuration: where things live and who the athlete is.

Each section is a frozen dataclass whose fields carry pydantic's constraints:
pydantic validates the file (terskel/validated.py), and is imported only when a
config file's content is new (each valid content is remembered), so `report` and
`query` with an unchanged config, or none, never load it.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import platformdirs

from terskel.validated import FORBID, Check, Checked, Invalid, remembered

if TYPE_CHECKING:  # lent by terskel.validated when pydantic reads the annotations
    from annotated_types import Ge, Gt, Le, Lt

APP_NAME = "terskel"
# Token files, written 0600 by `terskel auth ...` into secrets_dir().
STRAVA_TOKEN_FILE = "strava-token.json"
GARMIN_TOKEN_DIR = "garmin-tokens"


class ConfigError(Exception):
    """The configuration cannot be used; the message is one line for the user."""


@dataclass(frozen=True)
class StoreSettings:
    """`[store]`: where the DuckDB file lives."""

    __pydantic_config__ = FORBID
    path: Path | None = None


MARKER_KEYS = ("max_hr", "resting_hr", "lt1_hr", "lt2_hr", "threshold_pace", "threshold_power_w")
ZONE_MARKERS = ("max_hr", "lt1_hr", "lt2_hr", "threshold_pace", "threshold_power_w")
BUILTIN_ZONE_MODELS = ("olympiatoppen", "seiler3", "lthr5", "pace", "power")


def pace_to_speed(text: str) -> float:
    """'3:45/km' (or '3:45') as metres per second; ValueError when it is not a pace."""
    body = text.strip().removesuffix("/km").strip()
    minutes, sep, seconds = body.partition(":")
    if not sep or not minutes.isdigit() or not seconds.isdigit() or len(seconds) != 2:
        raise ValueError(f"{text!r} is not a pace (write it as 'm:ss/km', e.g. '3:45/km')")
    total = int(minutes) * 60 + int(seconds)
    if not 120 <= total <= 1200 or int(seconds) >= 60:
        raise ValueError(f"{text!r} is not a running pace (2:00/km to 20:00/km)")
    return 1000.0 / total


def _pace(value: str | None) -> str | None:
    if value is not None:
        pace_to_speed(value)
    return value


def _marker(value: str) -> str:
    if value not in ZONE_MARKERS:
        raise ValueError(f"unknown marker {value!r} (one of {', '.join(ZONE_MARKERS)})")
    return value


def _known_zone(value: str | None) -> str | None:
    if value is not None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # only when a file names one

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use e.g. 'Europe/Oslo')") from exc
    return value


@dataclass(frozen=True)
class MarkerValues:
    """Physiological markers; every one optional (missing ones are estimated from data)."""

    __pydantic_config__ = FORBID
    max_hr: Annotated[float | None, Gt(80), Lt(250)] = None
    resting_hr: Annotated[float | None, Gt(20), Lt(120)] = None
    lt1_hr: Annotated[float | None, Gt(60), Lt(250)] = None
    lt2_hr: Annotated[float | None, Gt(60), Lt(250)] = None
    threshold_pace: Annotated[str | None, Check(_pace)] = None
    threshold_power_w: Annotated[float | None, Gt(50), Lt(1000)] = None

    def marker_values(self) -> dict[str, float]:
        """The markers that are set, threshold pace as `threshold_speed_mps`."""
        values = {k: getattr(self, k) for k in MARKER_KEYS if k != "threshold_pace"}
        if self.threshold_pace is not None:
            values["threshold_speed_mps"] = pace_to_speed(self.threshold_pace)
        return {k: float(v) for k, v in values.items() if v is not None}


@dataclass(frozen=True, kw_only=True)
class DatedThresholds(Checked, MarkerValues):
    """`[[athlete.thresholds]]`: markers in force from a date on (until a later entry)."""

    _renamed: ClassVar[dict[str, str]] = {"from": "from_"}  # TOML's key `from` is a Python keyword
    from_: dt.date


@dataclass(frozen=True)
class ZoneModelSettings(Checked):
    """`[athlete.zone_models.NAME]`: zones cut at fractions of one marker."""

    __pydantic_config__ = FORBID
    marker: Annotated[str, Check(_marker)]
    cuts: list[float]
    zones: list[str]

    def _check(self) -> None:
        if len(self.zones) != len(self.cuts) + 1:
            raise ValueError("zones needs exactly one name more than cuts")
        if any(b <= a for a, b in pairwise(self.cuts)) or any(c <= 0 for c in self.cuts):
            raise ValueError("cuts must be positive fractions in increasing order")


@dataclass(frozen=True)
class AthleteSettings(Checked, MarkerValues):
    """`[athlete]`: who the store belongs to, their time zone and their markers."""

    id: str = "me"
    timezone: Annotated[str | None, Check(_known_zone)] = None
    target_weekly_km: Annotated[float | None, Gt(0)] = None
    zone_model: str = "olympiatoppen"
    zone_models: dict[str, ZoneModelSettings] = field(default_factory=dict)
    thresholds: list[DatedThresholds] = field(default_factory=list)

    def _check(self) -> None:
        known = (*BUILTIN_ZONE_MODELS, *self.zone_models)
        if self.zone_model not in known:
            raise ValueError(
                f"zone_model {self.zone_model!r} is unknown (one of {', '.join(known)})"
            )

    def dated_markers(self) -> list[tuple[dt.date | None, dict[str, float]]]:
        """The markers set here (in force always) and each dated entry, oldest first."""
        dated = sorted(self.thresholds, key=lambda entry: entry.from_)
        return [(None, self.marker_values())] + [(e.from_, e.marker_values()) for e in dated]


@dataclass(frozen=True)
class StravaSettings:
    """`[strava]`: the API app's client id (the secret comes from STRAVA_CLIENT_SECRET)."""

    __pydantic_config__ = FORBID
    client_id: str | None = None
    # days re-listed before the newest stored activity (late uploads, edits); a year at most
    lookback_days: Annotated[int, Ge(0), Le(366)] = 7


@dataclass(frozen=True)
class GarminSettings:
    """`[garmin]`: Garmin Connect sync (the login lives in a token file, never here)."""

    __pydantic_config__ = FORBID
    # days re-listed before the newest stored activity (late uploads, edits); a year at most
    lookback_days: Annotated[int, Ge(0), Le(366)] = 7


@dataclass(frozen=True)
class SyncSettings:
    """`[sync]`: what `terskel sync` pulls when no --source is given."""

    __pydantic_config__ = FORBID
    # garmin, strava, folders; empty: every source with a login
    sources: list[str] = field(default_factory=list)
    # watched FIT folders (a mounted watch, a sync folder)
    folders: list[Path] = field(default_factory=list)
    max_tries: Annotated[int, Ge(1)] = 5  # a failed item is fetched again this often


@dataclass(frozen=True)
class ReportSettings:
    """`[report]`: the threshold-model template weeks are measured against."""

    __pydantic_config__ = FORBID
    template: str = "norwegian-elite"
    # template fields replaced (see terskel/models/*.toml)
    overrides: dict[str, Any] = field(default_factory=dict)
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)  # your own, by name


@dataclass(frozen=True)
class Settings:
    """The whole config file."""

    __pydantic_config__ = FORBID
    store: StoreSettings = field(default_factory=StoreSettings)
    athlete: AthleteSettings = field(default_factory=AthleteSettings)
    strava: StravaSettings = field(default_factory=StravaSettings)
    garmin: GarminSettings = field(default_factory=GarminSettings)
    sync: SyncSettings = field(default_factory=SyncSettings)
    report: ReportSettings = field(default_factory=ReportSettings)


@dataclass(frozen=True)
class Locations:
    """Resolved paths: flag > environment variable > config file > platform default."""

    config: Path
    config_explicit: bool
    db_override: Path | None


def default_config_path() -> Path:
    """The platform config file (Linux: ~/.config/terskel/config.toml)."""
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def default_db_path() -> Path:
    """The platform data file (Linux: ~/.local/share/terskel/terskel.duckdb)."""
    return Path(platformdirs.user_data_dir(APP_NAME)) / "terskel.duckdb"


def resolve_locations(config_flag: Path | None, db_flag: Path | None) -> Locations:
    """Apply flag > environment precedence (typer already folds env vars into flags)."""
    if config_flag is not None:
        return Locations(config_flag.expanduser(), True, _expand(db_flag))
    return Locations(default_config_path(), False, _expand(db_flag))


def load_settings(locations: Locations) -> Settings:
    """Read and validate the config file; a missing default file means defaults."""
    path = locations.config
    if not path.exists():
        if locations.config_explicit:
            raise ConfigError(f"{path}: config file not found")
        return Settings()
    import tomllib  # only when there is a file to read

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config ({exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    try:
        return remembered(Settings, data)
    except Invalid as exc:
        raise ConfigError(f"{path}: {_describe(exc)}") from exc


def validate_settings(data: dict[str, Any]) -> Settings:
    """A config file's TOML table as Settings (validated by pydantic); Invalid when not."""
    return remembered(Settings, data)


def db_path(locations: Locations, settings: Settings) -> Path:
    """The store file: --db / TERSKEL_DB, then [store] path, then the platform default."""
    if locations.db_override is not None:
        return locations.db_override
    if settings.store.path is not None:
        return settings.store.path.expanduser()
    return default_db_path()


def secrets_dir(locations: Locations) -> Path:
    """Where token files live: beside the config file (0600 files, never in the config)."""
    return locations.config.parent


def example_config() -> str:
    """The commented example config shipped with the package."""
    from importlib import resources

    return resources.files("terskel").joinpath("config.example.toml").read_text(encoding="utf-8")


def write_example_config(path: Path) -> None:
    """Write the example config, readable only by its owner."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(example_config())


def _expand(path: Path | None) -> Path | None:
    return path.expanduser() if path is not None else None


def _describe(exc: Invalid) -> str:
    """The first validation error as 'section.key: problem' (the file's names)."""
    where = ".".join("from" if part == "from_" else str(part) for part in exc.loc)
    message = exc.msg.removeprefix("Value error, ")
    if exc.kind in ("extra_forbidden", "unexpected_keyword_argument"):  # a model, a dataclass
        message = "unknown setting"
    return f"{where}: {message}"
