"""Typed configuration: where things live and who the athlete is."""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from dataclasses import dataclass
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

APP_NAME = "terskel"
# Token files, written 0600 by `terskel auth ...` into secrets_dir().
STRAVA_TOKEN_FILE = "strava-token.json"
GARMIN_TOKEN_DIR = "garmin-tokens"


class ConfigError(Exception):
    """The configuration cannot be used; the message is one line for the user."""


class StoreSettings(BaseModel):
    """`[store]`: where the DuckDB file lives."""

    model_config = ConfigDict(extra="forbid")
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


class MarkerValues(BaseModel):
    """Physiological markers; every one optional (missing ones are estimated from data)."""

    model_config = ConfigDict(extra="forbid")
    max_hr: float | None = Field(default=None, gt=80, lt=250)
    resting_hr: float | None = Field(default=None, gt=20, lt=120)
    lt1_hr: float | None = Field(default=None, gt=60, lt=250)
    lt2_hr: float | None = Field(default=None, gt=60, lt=250)
    threshold_pace: str | None = None
    threshold_power_w: float | None = Field(default=None, gt=50, lt=1000)

    @field_validator("threshold_pace")
    @classmethod
    def _pace(cls, value: str | None) -> str | None:
        if value is not None:
            pace_to_speed(value)
        return value

    def marker_values(self) -> dict[str, float]:
        """The markers that are set, threshold pace as `threshold_speed_mps`."""
        values = {k: getattr(self, k) for k in MARKER_KEYS if k != "threshold_pace"}
        if self.threshold_pace is not None:
            values["threshold_speed_mps"] = pace_to_speed(self.threshold_pace)
        return {k: float(v) for k, v in values.items() if v is not None}


class DatedThresholds(MarkerValues):
    """`[[athlete.thresholds]]`: markers in force from a date on (until a later entry)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: dt.date = Field(alias="from")


class ZoneModelSettings(BaseModel):
    """`[athlete.zone_models.NAME]`: zones cut at fractions of one marker."""

    model_config = ConfigDict(extra="forbid")
    marker: str
    cuts: list[float]
    zones: list[str]

    @field_validator("marker")
    @classmethod
    def _marker(cls, value: str) -> str:
        if value not in ZONE_MARKERS:
            raise ValueError(f"unknown marker {value!r} (one of {', '.join(ZONE_MARKERS)})")
        return value

    @model_validator(mode="after")
    def _shape(self) -> ZoneModelSettings:
        if len(self.zones) != len(self.cuts) + 1:
            raise ValueError("zones needs exactly one name more than cuts")
        if any(b <= a for a, b in pairwise(self.cuts)) or any(c <= 0 for c in self.cuts):
            raise ValueError("cuts must be positive fractions in increasing order")
        return self


class AthleteSettings(MarkerValues):
    """`[athlete]`: who the store belongs to, their time zone and their markers."""

    model_config = ConfigDict(extra="forbid")
    id: str = "me"
    timezone: str | None = None
    target_weekly_km: float | None = Field(default=None, gt=0)
    zone_model: str = "olympiatoppen"
    zone_models: dict[str, ZoneModelSettings] = {}
    thresholds: list[DatedThresholds] = []

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"unknown time zone {value!r} (use e.g. 'Europe/Oslo')") from exc
        return value

    @model_validator(mode="after")
    def _known_model(self) -> AthleteSettings:
        known = (*BUILTIN_ZONE_MODELS, *self.zone_models)
        if self.zone_model not in known:
            raise ValueError(
                f"zone_model {self.zone_model!r} is unknown (one of {', '.join(known)})"
            )
        return self

    def dated_markers(self) -> list[tuple[dt.date | None, dict[str, float]]]:
        """The markers set here (in force always) and each dated entry, oldest first."""
        dated = sorted(self.thresholds, key=lambda entry: entry.from_)
        return [(None, self.marker_values())] + [(e.from_, e.marker_values()) for e in dated]


class StravaSettings(BaseModel):
    """`[strava]`: the API app's client id (the secret comes from STRAVA_CLIENT_SECRET)."""

    model_config = ConfigDict(extra="forbid")
    client_id: str | None = None
    # days re-listed before the newest stored activity (late uploads, edits); a year at most
    lookback_days: int = Field(default=7, ge=0, le=366)


class GarminSettings(BaseModel):
    """`[garmin]`: Garmin Connect sync (the login lives in a token file, never here)."""

    model_config = ConfigDict(extra="forbid")
    # days re-listed before the newest stored activity (late uploads, edits); a year at most
    lookback_days: int = Field(default=7, ge=0, le=366)


class SyncSettings(BaseModel):
    """`[sync]`: what `terskel sync` pulls when no --source is given."""

    model_config = ConfigDict(extra="forbid")
    sources: list[str] = []  # garmin, strava, folders; empty: every source with a login
    folders: list[Path] = []  # watched FIT folders (a mounted watch, a sync folder)
    max_tries: int = Field(default=5, ge=1)  # a failed item is fetched again this often


class ReportSettings(BaseModel):
    """`[report]`: the threshold-model template weeks are measured against."""

    model_config = ConfigDict(extra="forbid")
    template: str = "norwegian-elite"
    overrides: dict[str, Any] = {}  # template fields replaced (see terskel/models/*.toml)
    templates: dict[str, dict[str, Any]] = {}  # your own templates, by name


class Settings(BaseModel):
    """The whole config file."""

    model_config = ConfigDict(extra="forbid")
    store: StoreSettings = StoreSettings()
    athlete: AthleteSettings = AthleteSettings()
    strava: StravaSettings = StravaSettings()
    garmin: GarminSettings = GarminSettings()
    sync: SyncSettings = SyncSettings()
    report: ReportSettings = ReportSettings()


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
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config ({exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_describe(exc)}") from exc


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
    return resources.files("terskel").joinpath("config.example.toml").read_text(encoding="utf-8")


def write_example_config(path: Path) -> None:
    """Write the example config, readable only by its owner."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(example_config())


def _expand(path: Path | None) -> Path | None:
    return path.expanduser() if path is not None else None


def _describe(exc: ValidationError) -> str:
    """The first validation error as 'section.key: problem'."""
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown setting"
    return f"{where}: {message}"
