"""station.toml -> frozen dataclasses. Unknown keys are an error: a typo must not be
silently ignored on a terminal that makes legal instruments."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from station.errors import StateError

__all__ = ["Config", "load", "save"]


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


def load(path: Path) -> Config:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StateError("the station is not initialised", hint="run `seal-station init` (or `seal-station demo`)") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise StateError(f"{path.name} is not valid TOML: {exc}") from None
    section = raw.get("station", {})
    extra = set(raw) - {"station"}
    known = {f.name for f in fields(Config)}
    extra |= {f"station.{k}" for k in set(section) - known}
    if extra:
        raise StateError(f"{path.name}: unknown settings {', '.join(sorted(extra))}")
    try:
        cfg = Config(**{**section, "trust": tuple(section.get("trust", ()))})
    except TypeError as exc:
        raise StateError(f"{path.name}: {exc}") from None
    for name in ("idle_lock_minutes", "quorum", "max_pin_tries", "backup_warn_days"):
        if not isinstance(getattr(cfg, name), int) or getattr(cfg, name) < 1:
            raise StateError(f"{path.name}: station.{name} must be a whole number ≥ 1")
    return cfg


def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    s = str(v).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{s}"'


def save(path: Path, cfg: Config) -> None:
    lines = ["[station]"]
    for f in fields(Config):
        value = getattr(cfg, f.name)
        if value is not None:
            lines.append(f"{f.name} = {_toml_value(value)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
