"""station.toml -> frozen dataclasses. Unknown keys are an error: a typo must not be
silently ignored on a terminal that makes legal instruments.

The file is what the station reads before any card is logged in (the PKCS#11 module
path, the wrong-PIN limit); the copy that counts is the one inside the store
(:mod:`station.settings`), and the two are compared at every login. Ranges are checked
here, so a hand-edited value out of range is refused even before that comparison.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from station.errors import InputError, StateError

__all__ = ["Config", "load", "save", "parse", "to_dict", "from_dict", "dumps", "RANGES",
           "STATION_ID", "MAX_CONFIG_BYTES", "check_station_id"]

MAX_CONFIG_BYTES = 64 * 1024
STATION_ID = re.compile(r"[A-Z0-9][A-Z0-9-]{0,31}")
RANGES: dict[str, tuple[int, int]] = {"idle_lock_minutes": (1, 120), "quorum": (1, 10), "max_pin_tries": (3, 10),
                                      "backup_warn_days": (1, 365)}
"""Whole-number settings and their bounds (quorum is further bound by the supervisors enrolled)."""
LANGUAGES = ("auto", "zh_CN", "en")


@dataclass(frozen=True)
class Config:
    station_id: str
    module: str
    idle_lock_minutes: int = 5
    quorum: int = 1
    max_pin_tries: int = 5
    sm2_mechanism: int | None = None
    language: str = "auto"
    trust: tuple[str, ...] = field(default_factory=tuple)  # file names under home/trust/
    backup_warn_days: int = 7  # the admin's home warns when the last backup is this old


def check_station_id(value: str) -> str:
    """A station id is ASCII capitals, digits and '-', 1-32 long: it is printed on receipts."""
    if not isinstance(value, str) or not STATION_ID.fullmatch(value):
        raise InputError(f"the station id {value!r} must be 1-32 of A-Z, 0-9 and '-' (starting with a letter or digit)")
    return value


def from_dict(section: Any, where: str = "station.toml") -> Config:
    """Build and check a Config from the ``[station]`` table; StateError for anything off."""
    if not isinstance(section, dict):
        raise StateError(f"{where}: [station] must be a table")
    known = {f.name for f in fields(Config)}
    extra = {f"station.{k}" for k in section if k not in known}
    if extra:
        raise StateError(f"{where}: unknown settings {', '.join(sorted(extra))}")
    for name in ("station_id", "module"):
        if not isinstance(section.get(name), str) or not section[name]:
            raise StateError(f"{where}: station.{name} must be given as text")
    for name, (low, high) in RANGES.items():
        value = section.get(name, getattr(Config, name))
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise StateError(f"{where}: station.{name} must be a whole number from {low} to {high}")
    sm2 = section.get("sm2_mechanism")
    if sm2 is not None and (isinstance(sm2, bool) or not isinstance(sm2, int) or not 0 <= sm2 < 2**32):
        raise StateError(f"{where}: station.sm2_mechanism must be a PKCS#11 mechanism number")
    if section.get("language", "auto") not in LANGUAGES:
        raise StateError(f"{where}: station.language must be one of {', '.join(LANGUAGES)}")
    trust = section.get("trust", [])
    if not isinstance(trust, (list, tuple)) or not all(isinstance(t, str) and t for t in trust):
        raise StateError(f"{where}: station.trust must be a list of file names")
    if not STATION_ID.fullmatch(section["station_id"]):
        raise StateError(f"{where}: station.station_id must be 1-32 of A-Z, 0-9 and '-'")
    return Config(**{**section, "trust": tuple(trust)})


def parse(text: str, where: str = "station.toml") -> Config:
    try:
        raw = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise StateError(f"{where} is not valid TOML: {exc}") from None
    extra = set(raw) - {"station"}
    if extra:
        raise StateError(f"{where}: unknown settings {', '.join(sorted(extra))}")
    return from_dict(raw.get("station", {}), where)


def load(path: Path) -> Config:
    from station.inputs import read_file

    if not path.exists() and not path.is_symlink():
        raise StateError("the station is not initialised", hint="run `seal-station init` (or `seal-station demo`)")
    try:
        data = read_file(path, "settings file", MAX_CONFIG_BYTES)
        text = data.decode("utf-8")
    except (InputError, UnicodeDecodeError) as exc:
        raise StateError(f"{path.name} in the station home is damaged ({type(exc).__name__})",
                         hint="an administrator can revert it: `seal-station config revert --by ADMIN`") from None
    return parse(text, path.name)


def to_dict(cfg: Config) -> dict[str, Any]:
    """The settings as plain JSON-able values (what the store keeps and `config show` prints)."""
    return {f.name: (list(v) if isinstance(v := getattr(cfg, f.name), tuple) else v) for f in fields(Config)}


def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return json.dumps(str(v), ensure_ascii=False)  # a JSON string is a TOML basic string


def dumps(cfg: Config) -> str:
    lines = ["[station]"]
    for f in fields(Config):
        value = getattr(cfg, f.name)
        if value is not None:
            lines.append(f"{f.name} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


def save(path: Path, cfg: Config) -> None:
    from station.inputs import atomic_write

    atomic_write(path, dumps(cfg).encode("utf-8"))
