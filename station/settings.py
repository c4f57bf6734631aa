"""Authenticated settings: the store's copy of what the home's files say.

``station.toml``, the trust anchors in ``trust/``, the card marks in ``cards.json`` and
the wrong-PIN counts in ``pin-tries.json`` must be readable before any card is logged
in, so they stay files. Anyone at the terminal may edit files, though; the store may be
changed only by a logged-in card. So the store keeps the copy that counts, and at every
login the files are compared with it:

* settings, trust anchors, card marks: a difference refuses every role but an
  administrator, who logs in under the store's copy and is shown the difference
  (``config show --by``) to ``config accept`` or ``config revert`` — both audited;
* PIN counts: the store's count plus the wrong PINs the audit inbox recorded since must
  equal the file; a lower file (deleted or edited counter) is restored to the higher
  count, a higher file (deleted or edited inbox) is kept; both are audited. A card the
  store knows to be locked stays locked, whatever the file says.

Inside a session, :class:`AuthenticatedHome` reads the store's copy and writes both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crypto import certs
from station import config as config_mod
from station.cards import UNBLOCK_HINT
from station.config import Config
from station.errors import PinLockedError, StateError, StationError
from station.home import Home
from station.store.db import Store
from station.store.settings import SettingsRows

__all__ = ["Difference", "AuthenticatedHome", "adopt", "differences", "revert", "at_login",
           "pem_of", "der_of", "files_view"]


@dataclass(frozen=True)
class Difference:
    """One thing the files say otherwise than the store: what, which, and both values."""

    what: str  # "setting" | "trust anchor" | "card mark"
    key: str
    authenticated: Any
    on_disk: Any

    def to_json(self) -> dict[str, Any]:
        return {"what": self.what, "key": self.key, "authenticated": self.authenticated, "on_disk": self.on_disk}

    def text(self) -> str:
        return f"{self.what} {self.key}: store says {self.authenticated!r}, files say {self.on_disk!r}"


def pem_of(der: bytes) -> str:
    import base64
    import textwrap

    body = "\n".join(textwrap.wrap(base64.b64encode(der).decode(), 64))
    return f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"


def der_of(pem: str) -> bytes:
    import base64

    return base64.b64decode("".join(line for line in pem.splitlines() if not line.startswith("-----")))


def files_view(home: Home) -> dict[str, Any]:
    """What the files say: settings, every certificate in trust/ (sha256 -> PEM), card marks."""
    trust = {certs.fingerprint(der): pem_of(der) for der in home.trust_files().values()}
    return {"config": config_mod.to_dict(Home.config(home)), "trust": trust, "cards": Home.card_marks(home)}


def adopt(store: Store, home: Home) -> None:
    """Take the files as the authenticated copy (at init, and on `config accept`)."""
    rows = SettingsRows(store)
    for name, value in files_view(home).items():
        rows.put(name, value)
    if rows.get("pins") is None:
        rows.put("pins", Home.pin_ledger(home))


def differences(home: Home, store: Store) -> list[Difference]:
    rows = SettingsRows(store)
    disk = files_view(home)
    out: list[Difference] = []
    auth_cfg = rows.get("config") or {}
    for key in sorted(set(auth_cfg) | set(disk["config"])):
        if auth_cfg.get(key) != disk["config"].get(key):
            out.append(Difference("setting", key, auth_cfg.get(key), disk["config"].get(key)))
    auth_trust = rows.get("trust") or {}
    for sha in sorted(set(auth_trust) | set(disk["trust"])):
        if (sha in auth_trust) != (sha in disk["trust"]):
            out.append(Difference("trust anchor", sha, sha in auth_trust, sha in disk["trust"]))
    auth_cards = rows.get("cards") or {}
    for serial in sorted(set(auth_cards) | set(disk["cards"])):
        if auth_cards.get(serial) != disk["cards"].get(serial):
            out.append(Difference("card mark", serial, auth_cards.get(serial), disk["cards"].get(serial)))
    return out


def revert(home: Home, store: Store) -> None:
    """Write the authenticated copy back over the files (trust/ holds the listed anchors only)."""
    from station.home import atomic_write

    rows = SettingsRows(store)
    cfg = config_mod.from_dict(rows.get("config"), "the store's settings")
    trust: dict[str, str] = rows.get("trust") or {}
    home.trust_dir.mkdir(mode=0o700, exist_ok=True)
    names = []
    for sha, pem in sorted(trust.items()):
        name = f"ca-{sha[:16]}.pem"
        atomic_write(home.trust_dir / name, pem.encode())
        names.append(name)
    for path in home.trust_dir.iterdir():
        if path.name not in names and (path.is_symlink() or path.is_file()):
            path.unlink()
    from dataclasses import replace

    cfg = replace(cfg, trust=tuple(names))
    config_mod.save(home.config_file, cfg)
    rows.put("config", config_mod.to_dict(cfg))
    Home._write(home, "cards.json", rows.get("cards") or {})
    Home._write(home, "pin-tries.json", rows.get("pins") or {})


@dataclass(frozen=True)
class AuthenticatedHome(Home):
    """The home as a logged-in session sees it: the store's copy is read, both are written."""

    store: Any = field(default=None, compare=False, repr=False)

    authenticated = True

    @property
    def rows(self) -> SettingsRows:
        return SettingsRows(self.store)

    def config(self) -> Config:
        return config_mod.from_dict(self.rows.get("config"), "the store's settings")

    def trust_anchors(self) -> list[bytes]:
        return [der_of(pem) for _, pem in sorted((self.rows.get("trust") or {}).items())]

    def card_marks(self) -> dict[str, str]:
        return dict(self.rows.get("cards") or {})

    def mark_card(self, serial: str, mark: str | None) -> None:
        """The file and the store's copy change inside one write transaction, so a login
        in another process (which compares them inside its own) never sees one without the
        other. When the store is what fails, the file still gets the mark: a card flagged
        while the store is failing stays flagged on disk, and the next login shows the
        difference to an administrator rather than losing the flag."""
        def changed(marks: dict[str, str]) -> dict[str, str]:
            if mark:
                marks[serial] = mark
            else:
                marks.pop(serial, None)
            return marks

        try:
            with self.store.transaction():
                marks = changed(self.card_marks())
                self._write("cards.json", marks)
                self.rows.put("cards", marks)
            return
        except Exception:  # noqa: BLE001 — whatever broke the store, the caller's error says it
            pass
        self._write("cards.json", changed(Home.card_marks(self)))

    def pin_failures(self, serial: str) -> int:
        stored = int((self.rows.get("pins") or {}).get(serial, 0))
        try:
            return max(stored, Home.pin_failures(self, serial))
        except StateError:
            return stored

    def set_pin_failures(self, serial: str, count: int) -> None:
        with self.store.transaction():
            pins = dict(self.rows.get("pins") or {})
            if count:
                pins[serial] = count
            else:
                pins.pop(serial, None)
            self.rows.put("pins", pins)
        Home._write(self, "pin-tries.json", pins)


def _wrong_pins(entries: list[dict[str, Any]]) -> dict[str, int]:
    """Wrong PINs the inbox recorded, per card serial."""
    out: dict[str, int] = {}
    for e in entries:
        details = e.get("details") if isinstance(e.get("details"), dict) else {}
        if details.get("reason") == "wrong PIN" and isinstance(e.get("object"), str):
            out[e["object"]] = out.get(e["object"], 0) + 1
    return out


def _reconcile_pins(session: Any, home: Home, rows: SettingsRows, inbox: list[dict[str, Any]],
                    limit: int) -> StationError | None:
    stored: dict[str, int] = {k: int(v) for k, v in (rows.get("pins") or {}).items()}
    try:
        on_disk = Home.pin_ledger(home)
    except StateError:
        on_disk = {}
        session.log("pin-ledger-changed", "pin-tries.json", "failed", reason="damaged")
    wrong = _wrong_pins(inbox)
    result = dict(on_disk)
    for serial in sorted(set(stored) | set(on_disk) | set(wrong)):
        expected = stored.get(serial, 0) + wrong.get(serial, 0)
        found = on_disk.get(serial, 0)
        if found < expected:
            result[serial] = expected
            session.log("pin-ledger-changed", serial, "failed", reason="counter lowered outside the station",
                        counted=expected, file=found)
        elif found > expected:
            session.log("pin-ledger-changed", serial, "failed", reason="wrong PINs missing from the audit inbox",
                        counted=expected, file=found)
    me = session.card.serial
    refusal: StationError | None = None
    if result.get(me, 0) >= limit:
        session.log("login", me, "refused", reason="card locked")
        refusal = PinLockedError(f"card {me} is locked after {result[me]} wrong PINs", hint=UNBLOCK_HINT)
    else:
        result.pop(me, None)  # a good login starts the count again
    result = {k: v for k, v in result.items() if v}
    rows.put("pins", result)
    if result != on_disk:
        Home._write(home, "pin-tries.json", result)
    return refusal


def at_login(session: Any, inbox: list[dict[str, Any]]) -> StationError | None:
    """Compare the files with the store inside the login transaction; audit what differs.

    Returns the refusal to raise once the transaction is committed (so its record stays),
    or None; on success ``session.home`` and ``session.config`` are the store's."""
    from station.model import Role

    plain = Home(session.home.path)
    rows = SettingsRows(session.store)
    if rows.get("config") is None:  # a station from before the store kept its settings
        adopt(session.store, plain)
        session.log("settings-adopted", "station.toml")
    refusal = _reconcile_pins(session, plain, rows, inbox, config_mod.from_dict(rows.get("config")).max_pin_tries)
    if refusal is not None:
        return refusal
    diff = differences(plain, session.store)
    if diff:
        details = {"differences": [d.to_json() for d in diff]}
        if session.actor.role is not Role.ADMIN:
            session.log("settings-changed", "station.toml", "refused", **details)
            first = diff[0]
            return StateError(f"the station's files were changed outside the station ({first.what} {first.key}"
                              f"{f' and {len(diff) - 1} more' if len(diff) > 1 else ''})",
                              hint="an administrator must review it: `seal-station config show --by ADMIN`")
        session.log("settings-changed", "station.toml", "ok", **details)
    session.home = AuthenticatedHome(plain.path, session.store)
    session.config = session.home.config()
    return None
