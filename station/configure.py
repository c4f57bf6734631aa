"""Changing the station's settings and trust anchors: the only sanctioned ways.

``config set``, ``trust add`` and ``trust remove`` need an administrator's session; each
writes the store's copy (the one that counts) and the file, in one audited step.
``config accept`` / ``config revert`` settle a difference noticed at login
(station.settings): the administrator takes the files as they are, or puts the store's
copy back over them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from crypto import certs
from station import config as config_mod
from station import settings
from station.cards import check_module_path
from station.errors import InputError, PolicyError, StateError, crypto_errors
from station.home import Home, atomic_write
from station.inputs import read_file
from station.model import Role
from station.store.settings import SettingsRows

__all__ = ["SETTABLE", "require_admin", "config_set", "trust_add", "trust_remove", "trust_entries",
           "accept", "revert", "Setting", "settings_view", "certificate_files"]

SETTABLE = ("idle_lock_minutes", "quorum", "max_pin_tries", "backup_warn_days", "language", "module", "sm2_mechanism")
"""The station id is printed on every receipt and never changes; trust goes through `trust`."""


def require_admin(session: Any, action: str, obj: str) -> None:
    if session.actor.role is not Role.ADMIN:
        session.log(action, obj, "refused", reason="not an administrator")
        raise PolicyError("only an administrator changes the station's settings", reason="not-admin",
                          hint="log in with an administrator's card (--by ADMIN_SERIAL)")


def _value(cfg: config_mod.Config, key: str, text: str, session: Any) -> Any:
    if key in config_mod.RANGES:
        low, high = config_mod.RANGES[key]
        if key == "quorum":
            high = min(high, SettingsRows(session.store).count_role(Role.SUPERVISOR.value))
        try:
            value = int(text, 10)
        except ValueError:
            raise InputError(f"{key} must be a whole number") from None
        if not low <= value <= high:
            raise InputError(f"{key} must be from {low} to {high}")
        return value
    if key == "sm2_mechanism":
        if text in ("", "none"):
            return None
        try:
            value = int(text, 0)
        except ValueError:
            raise InputError("sm2_mechanism must be a PKCS#11 mechanism number (e.g. 0x80000001)") from None
        if not 0 <= value < 2**32:
            raise InputError("sm2_mechanism must be a PKCS#11 mechanism number")
        return value
    if key == "language":
        if text not in config_mod.LANGUAGES:
            raise InputError(f"language must be one of {', '.join(config_mod.LANGUAGES)}")
        return text
    try:
        check_module_path(text, session.home)
    except StateError as exc:  # here the path is what the administrator typed: bad input
        raise InputError(exc.message, hint=exc.hint) from None
    return text


def _save(session: Any, cfg: config_mod.Config, trust: dict[str, str] | None = None) -> None:
    rows = SettingsRows(session.store)
    rows.put("config", config_mod.to_dict(cfg))
    if trust is not None:
        rows.put("trust", trust)
    config_mod.save(session.home.config_file, cfg)


def config_set(session: Any, key: str, text: str) -> tuple[Any, Any]:
    """Set one setting; returns (old, new). Out of range or unknown: exit 2."""
    require_admin(session, "config-set", key)
    if key not in SETTABLE:
        raise InputError(f"{key} cannot be set (settable: {', '.join(SETTABLE)})")
    cfg = session.home.config()
    new = _value(cfg, key, text, session)
    old = getattr(cfg, key)
    with session.store.transaction():
        _save(session, replace(cfg, **{key: new}))
        session.log("config-set", key, "ok", old=old, new=new)
    session.config = session.home.config()
    return old, new


def _certificate(path: Path) -> bytes:
    data = read_file(path, "CA certificate", 1024 * 1024)
    with crypto_errors(InputError, f"{path}: not a certificate"):
        found = certs.der_certificates(data)
    if len(found) != 1:
        raise InputError(f"{path}: give one CA certificate per `trust add`")
    return found[0]


def trust_add(session: Any, path: Path) -> str:
    """Trust one more CA certificate; returns its SHA-256."""
    der = _certificate(path)
    sha = certs.fingerprint(der)
    require_admin(session, "trust-add", sha)
    trust = dict(SettingsRows(session.store).get("trust") or {})
    if sha in trust:
        raise InputError(f"the certificate {sha[:16]}… is already trusted")
    name = f"ca-{sha[:16]}.pem"
    cfg = session.home.config()
    with session.store.transaction():
        trust[sha] = settings.pem_of(der)
        session.home.trust_dir.mkdir(mode=0o700, exist_ok=True)
        atomic_write(session.home.trust_dir / name, trust[sha].encode())
        _save(session, replace(cfg, trust=(*cfg.trust, name)), trust)
        session.log("trust-add", sha, "ok", subject=_subject(der))
    return sha


def trust_remove(session: Any, prefix: str) -> str:
    """Stop trusting the anchor whose SHA-256 is (or starts with, 8+ hex) ``prefix``."""
    require_admin(session, "trust-remove", prefix)
    trust = dict(SettingsRows(session.store).get("trust") or {})
    found = [sha for sha in trust if len(prefix) >= 8 and sha.startswith(prefix.lower())]
    if len(found) != 1:
        raise InputError(f"no single trusted certificate has SHA-256 {prefix!r} (see `seal-station trust list`)")
    if len(trust) == 1:
        raise PolicyError("the last trust anchor cannot be removed", reason="last-anchor",
                          hint="add the new CA first (`seal-station trust add`)")
    sha = found[0]
    der = settings.der_of(trust.pop(sha))
    cfg = session.home.config()
    names = tuple(n for n in cfg.trust if _file_sha(session.home, n) != sha)
    with session.store.transaction():
        _save(session, replace(cfg, trust=names), trust)
        for name in set(cfg.trust) - set(names):
            (session.home.trust_dir / name).unlink(missing_ok=True)
        session.log("trust-remove", sha, "ok", subject=_subject(der))
    return sha


def _file_sha(home: Home, name: str) -> str:
    der = home.trust_files().get(name)
    return certs.fingerprint(der) if der else ""


def _subject(der: bytes) -> str:
    from station.cards import card_subject

    return card_subject(der)


def _validity(der: bytes) -> dict[str, str]:
    """Not before / not after as ISO dates ("" for a certificate that cannot be read)."""
    try:
        start, end = certs.validity(der)
    except certs.CertificateError:
        return {"not_before": "", "not_after": ""}
    return {"not_before": start.strftime("%Y-%m-%d"), "not_after": end.strftime("%Y-%m-%d")}


def trust_entries(home: Home, session: Any = None) -> list[dict[str, Any]]:
    """Each anchor: sha256, subject, and whether it counts. Without a session, the files
    (a certificate in trust/ that station.toml does not list is shown, never trusted);
    with one, the store's list (what counts) beside what the files hold."""
    files = {certs.fingerprint(d): (n, d) for n, d in Home.trust_files(home).items()}
    if session is None:
        listed = set(Home.config(home).trust)
        return [{"sha256": sha, "subject": _subject(d), **_validity(d), "file": n,
                 "trusted": n.split("#")[0] in listed, "checked": False} for sha, (n, d) in sorted(files.items())]
    trust = SettingsRows(session.store).get("trust") or {}
    ders = {sha: settings.der_of(pem) for sha, pem in trust.items()}
    out = [{"sha256": sha, "subject": _subject(der), **_validity(der), "file": files.get(sha, ("", b""))[0],
            "trusted": True, "checked": True} for sha, der in sorted(ders.items())]
    out += [{"sha256": sha, "subject": _subject(d), **_validity(d), "file": n, "trusted": False, "checked": True}
            for sha, (n, d) in sorted(files.items()) if sha not in trust]
    return out


@dataclass(frozen=True)
class Setting:
    """One settable value as the administrator's desk shows it: what it is now and what
    ``config_set`` accepts (a range, a list of choices, or free text)."""

    key: str
    value: Any
    low: int | None = None
    high: int | None = None
    choices: tuple[str, ...] = ()


def settings_view(session: Any) -> tuple[list[Setting], list[settings.Difference]]:
    """The store's settings (the ones that count) with their bounds, and what the home's
    files say otherwise (for ``accept`` / ``revert``)."""
    cfg = session.config
    supervisors = SettingsRows(session.store).count_role(Role.SUPERVISOR.value)
    rows = []
    for key in SETTABLE:
        value = getattr(cfg, key)
        if key in config_mod.RANGES:
            low, high = config_mod.RANGES[key]
            rows.append(Setting(key, value, low, min(high, supervisors) if key == "quorum" else high))
        elif key == "language":
            rows.append(Setting(key, value, choices=config_mod.LANGUAGES))
        else:
            rows.append(Setting(key, hex(value) if key == "sm2_mechanism" and value is not None else value))
    try:
        diff = settings.differences(Home(session.home.path), session.store)
    except StateError:  # a damaged file: revert puts it right
        diff = [settings.Difference("file", "station home", "intact", "damaged")]
    return rows, diff


CERTIFICATE_SUFFIXES = (".pem", ".crt", ".cer", ".der")


def certificate_files(folders: list[Path], limit: int = 200) -> list[Path]:
    """Certificate files on the sticks (top level and one folder down), for `trust add`
    to offer instead of a typed path."""
    found: list[Path] = []
    for folder in folders:
        try:
            entries = sorted(folder.iterdir())
            below = [p for d in entries if d.is_dir() and not d.name.startswith(".") for p in sorted(d.iterdir())]
        except OSError:
            continue
        found += [p for p in entries + below if p.suffix.lower() in CERTIFICATE_SUFFIXES and p.is_file()]
        if len(found) >= limit:
            break
    return found[:limit]


def accept(session: Any) -> list[settings.Difference]:
    """Take the files as they are now (after checking them as `config set` would)."""
    require_admin(session, "config-accept", "station.toml")
    plain = Home(session.home.path)
    diff = settings.differences(plain, session.store)
    if not diff:
        return []
    cfg = Home.config(plain)
    check_module_path(cfg.module, plain)
    if cfg.station_id != session.config.station_id:
        raise PolicyError("the station id never changes; revert it (`seal-station config revert`)",
                          reason="station-id")
    if cfg.quorum > SettingsRows(session.store).count_role(Role.SUPERVISOR.value):
        raise InputError(f"station.toml: quorum {cfg.quorum} is more than the supervisors enrolled")
    with session.store.transaction():
        pins = SettingsRows(session.store).get("pins")
        settings.adopt(session.store, plain)
        SettingsRows(session.store).put("pins", pins or {})
        session.log("config-accept", "station.toml", "ok", differences=[d.to_json() for d in diff])
    session.config = session.home.config()
    return diff


def revert(session: Any) -> list[settings.Difference]:
    """Put the store's copy back over the files."""
    require_admin(session, "config-revert", "station.toml")
    plain = Home(session.home.path)
    try:
        diff = settings.differences(plain, session.store)
    except StateError:  # a damaged file is one more reason to revert
        diff = [settings.Difference("file", "station home", "intact", "damaged")]
    with session.store.transaction():
        settings.revert(plain, session.store)
        session.log("config-revert", "station.toml", "ok", differences=[d.to_json() for d in diff])
    return diff
