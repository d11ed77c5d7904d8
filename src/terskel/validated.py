"""TOML data validated by pydantic into plain dataclasses, and remembered once valid.

The config file and the threshold-model templates are frozen stdlib dataclasses
whose fields carry pydantic's constraints (`Annotated[..., Gt(80)]` from
annotated_types, `Check(fn)` for a custom test): pydantic validates them
(`TypeAdapter`), yet defining or building one imports no pydantic. Their modules
import Gt, Ge, Lt, Le under TYPE_CHECKING only (annotated_types defines ~20
dataclasses, ~10 ms), and `validate` lends them to the module before pydantic reads
its annotations (strings, under `from __future__ import annotations`). Importing
pydantic and building its validators costs ~0.1 s, a fifth of `terskel report week`,
and most runs read the same config and template as the run before. So `remembered`
keeps each valid result (pickled) in the cache dir, keyed on the data itself, the
source of the module that defines its class, pydantic's version and the interpreter;
a later run with the same key loads it without importing pydantic. A miss, or any
unreadable record, validates again; invalid data is never recorded.
"""

from __future__ import annotations

import os
import pickle  # the module is here for the Unpickler base class; ~2 ms
import sys
from collections.abc import Callable
from dataclasses import dataclass, is_dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler
    from pydantic_core import CoreSchema

T = TypeVar("T")
FORBID: dict[str, Any] = {"extra": "forbid"}  # `__pydantic_config__` of every class here
CONSTRAINTS = ("Gt", "Ge", "Lt", "Le")  # annotated_types' names the annotations may use
# what a record may hold besides the classes of terskel (a record is never code)
# records kept in the cache dir: a new one past this drops the oldest (a dropped
# record only means that content is validated once more, by pydantic)
KEEP_RECORDS = 64
SAFE_GLOBALS = {
    ("datetime", "date"), ("pathlib", "PosixPath"), ("pathlib", "WindowsPath"),
    ("pathlib", "Path"), ("copyreg", "_reconstructor"), ("builtins", "object"),
}  # fmt: skip


class Invalid(Exception):
    """Data that pydantic refused: its first error, as pydantic reports it."""

    def __init__(self, loc: tuple[str | int, ...], msg: str, kind: str) -> None:
        super().__init__(f"{'.'.join(map(str, loc))}: {msg}")
        self.loc, self.msg, self.kind = loc, msg, kind


@dataclass(frozen=True)
class Check:
    """`Annotated` metadata: after its type is validated, pydantic runs `test` on the
    value, and a ValueError it raises is the error (like pydantic's AfterValidator)."""

    test: Callable[[Any], Any]

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        from pydantic_core import core_schema

        return core_schema.no_info_after_validator_function(self.test, handler(source))


class Checked:
    """Base of a dataclass with a whole-object test: `_check` runs after its fields are
    validated (a ValueError is the error, at the object's place), and `_renamed` maps
    the keys of the input first (a TOML key that is no Python name)."""

    _renamed: ClassVar[dict[str, str]] = {}

    def _check(self) -> None:
        """Raise ValueError when the fields do not fit together."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> Any:
        from pydantic_core import core_schema

        def checked(value: Checked) -> Checked:
            value._check()
            return value

        def renamed(data: Any) -> Any:
            if not isinstance(data, dict) or not cls._renamed:
                return data
            return {cls._renamed.get(k, k): v for k, v in data.items()}

        schema = core_schema.no_info_after_validator_function(checked, handler(source))
        return core_schema.no_info_before_validator_function(renamed, schema)


def validate(cls: type[T], data: Any) -> T:
    """`data` validated by pydantic as a `cls`; Invalid on the first error."""
    import annotated_types
    from pydantic import TypeAdapter, ValidationError

    names = vars(sys.modules[cls.__module__])
    for name in CONSTRAINTS:
        names.setdefault(name, getattr(annotated_types, name))
    try:
        return TypeAdapter(cls).validate_python(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise Invalid(tuple(error["loc"]), str(error["msg"]), str(error["type"])) from None


def remembered(cls: type[T], data: Any) -> T:
    """`validate(cls, data)`, loaded from the record of an earlier run when there is one."""
    path = _record_path(cls, data)
    if path is not None:
        found = _load(path, cls)
        if found is not None:
            return found
    value = validate(cls, data)
    if path is not None:
        _save(path, value)
    return value


def cache_dir() -> str:
    """Where records live: the platform's cache dir for terskel (TERSKEL_CACHE_DIR wins)."""
    if os.environ.get("TERSKEL_CACHE_DIR"):
        return os.path.join(os.environ["TERSKEL_CACHE_DIR"], "validated")
    import platformdirs

    return os.path.join(platformdirs.user_cache_dir("terskel"), "validated")


def _record_path(cls: type, data: Any) -> str | None:
    """The record's file, named by a digest of everything the result depends on."""
    from hashlib import blake2b

    try:
        parts = [sys.version, cls.__module__, cls.__qualname__, _stamp(cls.__module__)]
        parts.append(_stamp(__name__))  # Check and Checked are part of the schema too
        parts += [_stamp("pydantic", "version.py"), _stamp("pydantic_core", "__init__.py")]
        digest = blake2b(repr([parts, data]).encode(), digest_size=16).hexdigest()
    except (OSError, AttributeError, TypeError):
        return None
    return os.path.join(cache_dir(), f"{digest}.pickle")


def _stamp(module: str, file: str | None = None) -> tuple[str, int, int]:
    """(path, mtime ns, size) of a module's source, or of one file in its package."""
    from importlib.util import find_spec

    spec = find_spec(module)
    origin = spec.origin if spec else None
    if origin is None:
        raise OSError(f"no source for {module}")
    path = os.path.join(os.path.dirname(origin), file) if file else origin
    st = os.stat(path)
    return path, st.st_mtime_ns, st.st_size


class _Unpickler(pickle.Unpickler):
    """Loads terskel's dataclasses and plain values only: a record is data, never code."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in SAFE_GLOBALS:
            return super().find_class(module, name)
        if module.split(".")[0] == "terskel":
            found = super().find_class(module, name)
            if isinstance(found, type) and is_dataclass(found):
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a record")


def _load(path: str, cls: type[T]) -> T | None:
    try:
        with open(path, "rb") as file:
            value = _Unpickler(file).load()
    except Exception:  # a missing, partial or foreign record is a miss, never an error
        return None
    return value if isinstance(value, cls) else None


def _save(path: str, value: object) -> None:
    """Write the record atomically; a cache that cannot be written is no error."""
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        partial = f"{path}.{os.getpid()}"
        with open(partial, "wb") as file:
            pickle.dump(value, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, path)
    except (OSError, pickle.PicklingError):
        return
    _prune(os.path.dirname(path), KEEP_RECORDS)


def _prune(folder: str, keep: int) -> None:
    """Delete all but the `keep` newest records (runs only when a record is written)."""
    try:
        with os.scandir(folder) as entries:
            records = [e for e in entries if e.name.endswith(".pickle") and e.is_file()]
        records.sort(key=lambda e: e.stat().st_mtime_ns, reverse=True)
        for old in records[keep:]:
            os.unlink(old.path)
    except OSError:  # another run pruning at once, or an unreadable folder: no error
        pass
