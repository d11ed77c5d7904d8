"""Config and templates: validated by pydantic once per content, then loaded from a record."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from terskel import validated
from terskel.config import AthleteSettings, Settings, validate_settings, write_example_config
from terskel.models import Band, Template, load_template
from terskel.validated import Invalid, remembered


@pytest.fixture
def records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache dir of its own; the records land in its `validated` folder."""
    monkeypatch.setenv("TERSKEL_CACHE_DIR", str(tmp_path))
    return tmp_path / "validated"


def _no_validation(cls: type, data: object) -> object:
    raise AssertionError("validated again: the record was not used")


def test_a_valid_config_is_recorded_and_then_loaded_without_validating(
    records: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = {"athlete": {"max_hr": 192, "thresholds": [{"from": "2026-09-01", "lt2_hr": 175}]}}
    first = validate_settings(data)
    assert first.athlete.max_hr == 192.0 and first.athlete.thresholds[0].lt2_hr == 175.0
    assert len(list(records.iterdir())) == 1
    monkeypatch.setattr(validated, "validate", _no_validation)
    again = validate_settings(data)
    assert again == first and again is not first
    assert again.athlete.dated_markers()[1][0].isoformat() == "2026-09-01"


def test_other_content_is_validated_and_an_invalid_one_never_recorded(records: Path) -> None:
    validate_settings({"athlete": {"max_hr": 192}})
    assert validate_settings({"athlete": {"max_hr": 200}}).athlete.max_hr == 200.0
    assert len(list(records.iterdir())) == 2
    with pytest.raises(Invalid) as caught:
        validate_settings({"athlete": {"max_hr": 30}})  # pydantic's Gt(80), not a record's
    assert caught.value.loc == ("athlete", "max_hr") and "greater than 80" in caught.value.msg
    assert len(list(records.iterdir())) == 2


def test_a_changed_schema_source_is_a_miss(records: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    validate_settings({"athlete": {"id": "kari"}})
    real = validated._stamp
    monkeypatch.setattr(  # as if config.py were edited (or pydantic upgraded)
        validated, "_stamp", lambda module, file=None: (*real(module, file)[:2], -1)
    )
    calls: list[type] = []
    monkeypatch.setattr(validated, "validate", lambda cls, data: calls.append(cls) or cls())
    remembered(Settings, {"athlete": {"id": "kari"}})
    assert calls == [Settings]


class _Boom:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("echo pwned > /dev/null",))


class _Call:
    """Unpickled, it would call a terskel function that writes a file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[Path]]:
        return (write_example_config, (self.path,))


def test_a_record_that_is_not_terskel_data_is_a_miss(records: Path) -> None:
    data = {"athlete": {"id": "ola"}}
    validate_settings(data)
    (record,) = records.iterdir()
    record.write_bytes(pickle.dumps(_Boom()))  # a record replaced by code to run
    assert validate_settings(data).athlete.id == "ola"  # validated again, nothing ran
    record.write_bytes(b"\x80\x05 torn")
    assert validate_settings(data).athlete.id == "ola"
    written = records.parent / "written.toml"
    record.write_bytes(pickle.dumps(_Call(written)))  # a terskel function, not a dataclass
    assert validate_settings(data).athlete.id == "ola" and not written.exists()
    record.write_bytes(pickle.dumps(AthleteSettings(id="other")))  # terskel's, wrong class
    assert validate_settings(data).athlete.id == "ola"


def test_an_unwritable_cache_is_no_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "validated").write_text("a file where the folder would go")
    monkeypatch.setenv("TERSKEL_CACHE_DIR", str(tmp_path))
    assert validate_settings({"sync": {"max_tries": 2}}).sync.max_tries == 2


def test_templates_are_remembered_too(records: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = load_template("norwegian-singles", {"x_element": {"min": 1}})
    monkeypatch.setattr(validated, "validate", _no_validation)
    again = load_template("norwegian-singles", {"x_element": {"min": 1}})
    assert again == first and isinstance(again, Template) and again.x_element == Band(min=1)
    assert again.scaled(0.5).weekly_km == Band(
        min=first.weekly_km.min * 0.5 if first.weekly_km.min else None,
        max=first.weekly_km.max * 0.5 if first.weekly_km.max else None,
    )


def test_settings_built_in_code_need_no_validation() -> None:
    settings = Settings()
    assert settings.athlete.id == "me" and settings.report.template == "norwegian-elite"
    assert settings.athlete.dated_markers() == [(None, {})]


def test_the_cache_keeps_only_the_newest_records(
    records: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(validated, "KEEP_RECORDS", 3)
    for k, hr in enumerate(range(180, 185)):  # five contents, each a new record
        validate_settings({"athlete": {"max_hr": hr}})
        for n, record in enumerate(sorted(records.iterdir(), key=os.path.getmtime)):
            os.utime(record, ns=(n, n))  # mtimes in write order, whatever the clock's grain
        assert len(list(records.iterdir())) == min(k + 1, 3)
    monkeypatch.setattr(validated, "validate", _no_validation)
    assert validate_settings({"athlete": {"max_hr": 184}}).athlete.max_hr == 184.0  # kept
    monkeypatch.undo()
    monkeypatch.setenv("TERSKEL_CACHE_DIR", str(records.parent))
    calls: list[object] = []
    real = validated.validate
    monkeypatch.setattr(validated, "validate", lambda c, d: calls.append(d) or real(c, d))
    validate_settings({"athlete": {"max_hr": 180}})  # the oldest: dropped, validated again
    assert calls == [{"athlete": {"max_hr": 180}}]
