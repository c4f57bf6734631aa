"""Station set-up: ``init`` (master key, recovery code, store) and ``enroll`` (key slots).

The first enrollment (an administrator) has no card to unlock the station yet: it is
opened with the recovery code shown at ``init``. Every enrollment logs in to the new card
with its own PIN, proves it holds the key, wraps the master key for it and checks that
the new slot opens before saving it — a slot that cannot open is never written.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Callable

from crypto import certs, envelope
from station import config as config_mod
from station import keys, pin_policy, settings
from station.audit import Audit
from station.cards import check_module_path, device_errors, module_for, open_card
from station.clock import now
from station.errors import InputError, PolicyError, StateError
from station.home import Home, atomic_write
from station.inputs import read_file
from station.model import Actor, Enrollment, Role
from station.session import Session, prove_possession
from station.store.counters import Meta, Secrets
from station.store.db import Store
from station.store.enrollments import Enrollments
from station.store.keyslots import CardSlot, KeySlots
from station.store.settings import SettingsRows

__all__ = ["init_station", "enroll"]


def init_station(home: Home, *, module: str, trust: list[Path], station_id: str) -> str:
    """Create a station in ``home``; returns the recovery code (shown once, never stored)."""
    if home.initialised():
        raise StateError(f"a station already exists in {home.path}", hint="use another --home")
    config_mod.check_station_id(station_id)
    if not trust:
        raise InputError("at least one trusted CA certificate (--trust CA.pem) is needed")
    pems = []
    for path in trust:
        data = read_file(path, "CA certificate", 1024 * 1024)
        try:
            if b"-----BEGIN" not in data:
                raise certs.CertificateError("no PEM block")
            certs.der_certificates(data)
        except certs.CertificateError as exc:
            raise InputError(f"{path}: not a PEM certificate ({exc})") from None
        pems.append(data)
    try:
        check_module_path(module, home)
    except StateError as exc:  # typed by the person running init: bad input
        raise InputError(exc.message, hint=exc.hint) from None
    home.path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(home.path, 0o700)
    home.trust_dir.mkdir(mode=0o700, exist_ok=True)
    names = []
    for i, data in enumerate(pems, 1):
        name = f"ca-{i}.pem"
        atomic_write(home.trust_dir / name, data)
        names.append(name)
    master = keys.new_master()
    code = envelope.recovery_code_new()
    inbox_private, inbox_public = keys.new_inbox_key()
    store = Store.open(home.db, keys.store_key(master), create=True)
    try:
        with store.transaction():
            Meta(store).put("station_id", station_id)
            Secrets(store).add(keys.INBOX_SECRET, inbox_private)
            Audit(store).append(None, "init", station_id, "ok", {"module": module})
    finally:
        store.close()
    home.save_keyslots(KeySlots(station_id, {}, envelope.recovery_wrap(bytes(master), code), inbox_public))
    config_mod.save(home.config_file, config_mod.Config(
        station_id=station_id, module=module, trust=tuple(names)))
    store = Store.open(home.db, keys.store_key(master))
    try:
        with store.transaction():
            settings.adopt(store, home)  # the copy that counts: files are compared with it at login
    finally:
        store.close()
    for i in range(len(master)):
        master[i] = 0
    return code


def enroll(home: Home, *, role: Role, serial: str, pin: str, by: Session | None = None,
           recovery_code: Callable[[], str] | None = None) -> Actor:
    """Enroll the card ``serial`` for ``role``; ``by`` is an admin session, or none for the first."""
    slots = home.keyslots()
    if by is None:
        if slots.slots:
            raise PolicyError("the station already has enrolled cards: enroll with --by ADMIN_SERIAL",
                              reason="needs-admin")
        if role is not Role.ADMIN:
            raise PolicyError("the first card enrolled must be an administrator's", reason="first-admin")
        if recovery_code is None:
            raise InputError("the first enrollment needs the recovery code")
        master = keys.unwrap_with_recovery(home, recovery_code())
        store = Store.open(home.db, keys.store_key(master))
        audit, actor_by = Audit(store), None
    else:
        if by.actor.role is not Role.ADMIN:
            by.log("enroll", serial, "refused", reason="not an administrator")
            raise PolicyError("only an administrator enrolls cards", reason="not-admin")
        master, store, audit, actor_by = bytearray(by.master), by.store, by.audit, by.actor
    config = home.config()
    module = module_for(home)
    try:
        card = open_card(module, serial)
        with device_errors(serial):
            card.login(pin)
        cert = card.certificate
        digest = certs.fingerprint(cert)
        refusal = _enroll_refusal(home, cert, digest, store)
        if refusal:
            audit.append(actor_by, "enroll", serial, "refused", {"reason": refusal, "role": role.value})
            raise PolicyError(f"card {serial} cannot be enrolled: {refusal}", reason="enroll-refused")
        prove_possession(card, config)
        slot = keys.wrap_for_card(master, cert)
        if keys.unwrap_with_card(slot, card) != master:
            raise StateError("the new key slot does not open; nothing was saved")
        name = certs.common_name(cert)
        with store.transaction():
            Enrollments(store).add(Enrollment(serial, digest, role, name, cert, now().isoformat()))
            pin_policy.record_initial(store, serial, cert)
            audit.append(actor_by, "enroll", serial, "ok", {"role": role.value, "name": name,
                                                             "cert_sha256": digest})
            home.save_keyslots(slots.with_slot(CardSlot(serial, role, name, digest,
                                                        base64.b64encode(cert).decode(), slot)))
        return Actor(digest, name, role, serial)
    finally:
        module.forget(serial)
        if by is None:
            store.close()
            for i in range(len(master)):
                master[i] = 0


def _enroll_refusal(home: Home, cert: bytes, digest: str, store: Store) -> str:
    if Enrollments(store).active(digest) is not None:
        return "it is already enrolled (one card, one role)"
    start, end = certs.validity(cert)
    if not start <= now() <= end:
        return "its certificate is not valid now"
    anchors = (settings.AuthenticatedHome(home.path, store).trust_anchors()
               if SettingsRows(store).get("trust") is not None else home.trust_anchors())
    if not certs.issued_by(cert, anchors):
        return "its certificate is not issued by a CA this station trusts"
    return ""
