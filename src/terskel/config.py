"""Typed configuration: where things live and who the athlete is."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

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


class AthleteSettings(BaseModel):
    """`[athlete]`: who the store belongs to and their local time zone."""

    model_config = ConfigDict(extra="forbid")
    id: str = "me"
    timezone: str | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"unknown time zone {value!r} (use e.g. 'Europe/Oslo')") from exc
        return value


class StravaSettings(BaseModel):
    """`[strava]`: the API app's client id (the secret comes from STRAVA_CLIENT_SECRET)."""

    model_config = ConfigDict(extra="forbid")
    client_id: str | None = None
    lookback_days: int = 7


class GarminSettings(BaseModel):
    """`[garmin]`: Garmin Connect sync (the login lives in a token file, never here)."""

    model_config = ConfigDict(extra="forbid")
    lookback_days: int = 7


class SyncSettings(BaseModel):
    """`[sync]`: what `terskel sync` pulls when no --source is given."""

    model_config = ConfigDict(extra="forbid")
    sources: list[str] = []  # garmin, strava, folders; empty: every source with a login
    folders: list[Path] = []  # watched FIT folders (a mounted watch, a sync folder)


class Settings(BaseModel):
    """The whole config file."""

    model_config = ConfigDict(extra="forbid")
    store: StoreSettings = StoreSettings()
    athlete: AthleteSettings = AthleteSettings()
    strava: StravaSettings = StravaSettings()
    garmin: GarminSettings = GarminSettings()
    sync: SyncSettings = SyncSettings()


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
