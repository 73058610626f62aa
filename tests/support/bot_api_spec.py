"""Checks Bot API calls against Telegram's published specification (tests/data/telegram-bot-api/api.json).

The fake Bot API server answers exactly like Telegram only if it knows what Telegram accepts: which
methods exist, which parameters each takes, their types (recursively through objects such as
InlineKeyboardMarkup), and the documented limits in `bot_api_limits`. Every problem found is a
string the server both returns as `Bad Request: ...` and records as a violation.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from tests.support.bot_api_limits import FIELD_LIMITS, OBJECT_LIMITS

SPEC_PATH = Path(__file__).resolve().parent.parent / "data" / "telegram-bot-api" / "api.json"

_ARRAY = "Array of "
_INTEGER = re.compile(r"-?\d+")
_CONSTANT = re.compile(r'(?:always|must be) "?([a-z_]+)"?')


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request; the fake keeps its size, not its bytes."""

    name: str
    filename: str | None
    content_type: str | None
    size: int


@dataclass
class CheckedCall:
    """A call's parameters converted to their specified types, plus every problem found."""

    method: str
    params: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


class _Mismatch(Exception):
    """A value does not fit a specified type; the message says where and why.

    `deep` marks problems found inside a value that otherwise has the right shape (a too-long
    callback_data inside an InlineKeyboardMarkup): for unions, those name the real mistake.
    """

    def __init__(self, message: str, deep: bool = False, wrong_kind: bool = False) -> None:
        super().__init__(message)
        self.deep = deep
        self.wrong_kind = wrong_kind


class BotApiSpec:
    """The methods and types of one api.json, with a validator for calls made against them."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.version: str = document["version"]
        self.methods: dict[str, dict[str, Any]] = document["methods"]
        self.types: dict[str, dict[str, Any]] = document["types"]
        self._methods_by_lower = {name.lower(): name for name in self.methods}

    @classmethod
    def load(cls, path: Path = SPEC_PATH) -> BotApiSpec:
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def method_name(self, requested: str) -> str | None:
        """Telegram's method names are case-insensitive; returns the canonical spelling."""
        return self._methods_by_lower.get(requested.lower())

    def returns(self, method: str) -> list[str]:
        return list(self.methods[method].get("returns", []))

    def check_call(self, method: str, raw: dict[str, Any], files: dict[str, UploadedFile] | None = None) -> CheckedCall:
        """Validate one call's parameters (strings from a form, or JSON values) and convert them."""
        checked = CheckedCall(method)
        spec_fields = {entry["name"]: entry for entry in self.methods[method].get("fields", [])}
        files = files or {}
        for name in raw:
            if name not in spec_fields and name not in files:
                checked.problems.append(f"unknown parameter '{name}'")
        for name, entry in spec_fields.items():
            if name in files and name not in raw:
                if not any(alt == "InputFile" for alt in entry["types"]):
                    checked.problems.append(f"parameter '{name}' does not accept a file upload")
                checked.params[name] = files[name]
                continue
            if name not in raw or raw[name] is None:
                if entry["required"]:
                    checked.problems.append(f"parameter '{name}' is required")
                continue
            try:
                checked.params[name] = self._convert(raw[name], entry["types"], name, files)
            except _Mismatch as mismatch:
                checked.problems.append(str(mismatch))
        if not checked.problems:
            checked.problems.extend(self._limits(method, checked.params, path=""))
        return checked

    def check_object(self, type_name: str, value: Any) -> list[str]:
        """Problems with a complete object (for example an Update built by a test)."""
        try:
            self._convert(value, [type_name], type_name, {})
        except _Mismatch as mismatch:
            return [str(mismatch)]
        return []

    # -- conversion ---------------------------------------------------------------------------

    def _convert(self, value: Any, alternatives: list[str], path: str, files: dict[str, UploadedFile]) -> Any:
        # Typed alternatives first, so that "123" for "Integer or String" becomes an integer like Telegram reads it.
        ordered = sorted(alternatives, key=lambda alternative: alternative == "String")
        mismatches: list[_Mismatch] = []
        for alternative in ordered:
            try:
                return self._convert_one(value, alternative, path, files)
            except _Mismatch as mismatch:
                mismatches.append(mismatch)
        deep = [mismatch for mismatch in mismatches if mismatch.deep]
        right_kind = [mismatch for mismatch in mismatches if not mismatch.wrong_kind]
        if len(mismatches) == 1 or deep or len(right_kind) == 1:
            raise (deep or right_kind or mismatches)[0]
        reasons = "; ".join(str(mismatch) for mismatch in mismatches)
        raise _Mismatch(f"'{path}' fits none of {' or '.join(alternatives)} ({reasons})")

    def _convert_one(self, value: Any, type_name: str, path: str, files: dict[str, UploadedFile]) -> Any:
        if type_name.startswith(_ARRAY):
            items = _decoded(value, list, path, type_name)
            return [
                self._convert(item, [type_name[len(_ARRAY) :]], f"{path}[{index}]", files)
                for index, item in enumerate(items)
            ]
        if type_name == "String":
            if not isinstance(value, str):
                raise _Mismatch(f"'{path}' must be a String, got {type(value).__name__}")
            return value
        if type_name == "Integer":
            return _integer(value, path)
        if type_name == "Float":
            return _float(value, path)
        if type_name == "Boolean":
            return _boolean(value, path)
        if type_name == "InputFile":
            if isinstance(value, UploadedFile):
                return value
            if isinstance(value, str) and value.startswith("attach://") and value[len("attach://") :] in files:
                return files[value[len("attach://") :]]
            raise _Mismatch(f"'{path}' must be an uploaded file")
        spec = self.types.get(type_name)
        if spec is None:
            raise _Mismatch(f"'{path}' has type {type_name}, which the specification does not define")
        if "subtypes" in spec:
            return self._convert(value, spec["subtypes"], path, files)
        return self._convert_object(_decoded(value, dict, path, type_name), type_name, spec, path, files)

    def _convert_object(
        self, value: dict[str, Any], type_name: str, spec: dict[str, Any], path: str, files: dict[str, UploadedFile]
    ) -> dict[str, Any]:
        constant = _discriminator(spec)
        if constant is not None and value.get(constant[0]) != constant[1]:
            raise _Mismatch(f"'{path}.{constant[0]}' must be '{constant[1]}' for {type_name}", wrong_kind=True)
        spec_fields = {entry["name"]: entry for entry in spec.get("fields", [])}
        unknown = sorted(set(value) - set(spec_fields))
        if unknown:
            raise _Mismatch(f"'{path}' ({type_name}) has unknown field(s) {', '.join(unknown)}")
        converted: dict[str, Any] = {}
        for name, entry in spec_fields.items():
            if name not in value:
                if entry["required"]:
                    raise _Mismatch(f"'{path}' ({type_name}) lacks required field '{name}'")
                continue
            try:
                converted[name] = self._convert(value[name], entry["types"], f"{path}.{name}", files)
            except _Mismatch as mismatch:
                raise _Mismatch(str(mismatch), deep=True) from None
        problems = self._limits(type_name, converted, path=path)
        if problems:
            raise _Mismatch(problems[0], deep=True)
        return converted

    def _limits(self, owner: str, values: dict[str, Any], path: str) -> list[str]:
        prefix = f"{path}." if path else ""
        problems = []
        for name, value in values.items():
            check = FIELD_LIMITS.get((owner, name)) or FIELD_LIMITS.get(("*", name))
            problem = check(value, values) if check else None
            if problem:
                problems.append(f"'{prefix}{name}': {problem}")
        object_check = OBJECT_LIMITS.get(owner)
        problem = object_check(values) if object_check else None
        if problem:
            problems.append(f"'{path or owner}': {problem}")
        return problems


@cache
def default_spec() -> BotApiSpec:
    """The copy in tests/data, parsed once per process."""
    return BotApiSpec.load()


def _discriminator(spec: dict[str, Any]) -> tuple[str, str] | None:
    """Subtypes of abstract types name their kind in the first field: 'Scope type, must be chat'."""
    if "subtype_of" not in spec or not spec.get("fields"):
        return None
    first = spec["fields"][0]
    match = _CONSTANT.search(first["description"])
    if first["name"] in ("type", "status", "source") and match:
        return first["name"], match.group(1)
    return None


def _decoded(value: Any, expected: type, path: str, type_name: str) -> Any:
    """Objects and arrays travel as JSON-encoded strings in form fields (python-telegram-bot does that)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise _Mismatch(f"'{path}' must be a JSON-serialized {type_name}") from None
    if not isinstance(value, expected):
        raise _Mismatch(f"'{path}' must be {type_name}, got {type(value).__name__}")
    return value


def _integer(value: Any, path: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value)
    raise _Mismatch(f"'{path}' must be an Integer, got {value!r:.40}")


def _float(value: Any, path: str) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise _Mismatch(f"'{path}' must be a Float, got {value!r:.40}")


def _boolean(value: Any, path: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    raise _Mismatch(f"'{path}' must be a Boolean, got {value!r:.40}")
