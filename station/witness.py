"""The cards as witnesses of the store: a rolled-back ``station.db`` is refused.

Anyone at the terminal can copy ``station.db`` and copy it back later; the cards are
the only things here that cannot be copied. So the acting card keeps, as a private data
object it signs itself, the latest state of the store it has seen: the audit log's tree
head (size, root) and every counter the station hands out numbers from (esID sequences,
receipt numbers, the status-list sequence). :func:`record` writes it at every make,
lifecycle event and logout; :func:`check` runs at login, before anything is written:
the store's log must extend the witnessed one (an RFC 9162 consistency proof from the
stored leaves to the witnessed root) and no counter may be lower than witnessed.
Otherwise the store is older than the card has seen, and the login is refused: the way
back to an older state is ``seal-station backup restore``, which says so and is audited.

The witness is named after the store's instance id (kept inside the store), so a card
enrolled at several stations keeps one witness for each, and a copy of a store (same id)
is checked against what the card saw of the original. ``backup restore``, the one way
back, gives the restored store a new id and records the old one: there a card's witness
of the old id is accepted, and every number is raised above what it saw.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from crypto import certs, merkle
from devices.pkcs11 import Card
from station.audit import Audit
from station.cards import device_errors
from station.clock import now_text
from station.errors import StateError, StationError
from station.store.counters import Counters, Meta
from station.store.db import Store

__all__ = ["LABEL", "Witness", "record", "check", "adopt", "label_for", "RolledBackError"]

LABEL = "seal-station witness"
_APPLICATION = "seal-station"
_VERSION = "seal-station witness v1"


class RolledBackError(StateError):
    """The store is older than a card has seen (exit 4)."""

    default_title = "Rollback"


@dataclass(frozen=True)
class Witness:
    """What a card saw of one store, signed by that card."""

    instance: str
    size: int
    root: bytes
    counters: dict[str, int]
    time: str
    signer_cert_sha256: str
    algorithm: str
    signature: bytes
    superseded_by: str = ""  # the instance a restore made of this store, once the card saw it

    def message(self) -> bytes:
        """What the card signs: a fixed, canonical text of everything witnessed."""
        body = {"v": _VERSION, "instance": self.instance, "size": self.size, "root": self.root.hex(),
                "counters": dict(sorted(self.counters.items())), "time": self.time,
                "signer": self.signer_cert_sha256}
        if self.superseded_by:
            body["superseded_by"] = self.superseded_by
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    def encode(self) -> bytes:
        d = {"instance": self.instance, "size": self.size, "root": self.root.hex(), "counters": self.counters,
             "time": self.time, "signer": self.signer_cert_sha256, "algorithm": self.algorithm,
             "signature": self.signature.hex()}
        if self.superseded_by:
            d["superseded_by"] = self.superseded_by
        return json.dumps(d, sort_keys=True).encode()

    @classmethod
    def decode(cls, data: bytes) -> "Witness":
        """Raises ValueError for anything that is not a witness."""
        try:
            d = json.loads(data)
            counters = {str(k): int(v) for k, v in dict(d["counters"]).items()}
            return cls(str(d["instance"]), int(d["size"]), bytes.fromhex(d["root"]), counters, str(d["time"]),
                       str(d["signer"]), str(d["algorithm"]), bytes.fromhex(d["signature"]),
                       str(d.get("superseded_by") or ""))
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise ValueError(f"not a witness: {exc}") from None


def instance_of(store: Store) -> str:
    """The store's instance id (set by its migration, renewed by a restore; shared by every
    copy of the file)."""
    return Meta(store).get("instance") or ""


def label_for(store: Store) -> str:
    return f"{LABEL} {instance_of(store)}"


def record(session: Any) -> Witness:
    """The acting card witnesses the store as it is now (make, lifecycle events, logout).

    Raises a StationError if the card cannot sign or store it; callers that must not fail
    on that (logout with the card gone) catch it.
    """
    store, audit = session.store, session.audit
    with store.transaction():  # one consistent view of the log and the counters
        audit._sync()
        size, root, counters = audit.size, audit.root(), Counters(store).all()
        instance = instance_of(store)
    unsigned = Witness(instance, size, root, counters, now_text(), session.actor.cert_sha256,
                       session.signer.algorithm, b"")
    return _store(session, unsigned)


def _store(session: Any, unsigned: Witness) -> Witness:
    """Sign ``unsigned`` with the acting card and keep it there, under its instance's label."""
    with device_errors(session.card.serial):
        witness = replace(unsigned, signature=session.signer.sign(unsigned.message()))
        session.card.replace_data(f"{LABEL} {witness.instance}", _APPLICATION, witness.encode(), private=True)
    return witness


def _older(serial: str, why: str) -> RolledBackError:
    return RolledBackError(f"the station's records are older than card {serial} has seen ({why}); "
                           "an older state is restored only through `seal-station backup restore`")


def _read(card: Card, instance: str) -> Witness | None:
    """The card's witness of store ``instance``, checked to be signed by this card."""
    from crypto.algorithms import verify_signature

    with device_errors(card.serial):
        data = card.read_data(f"{LABEL} {instance}")
    if data is None:
        return None
    try:
        witness = Witness.decode(data)
    except ValueError:
        raise _older(card.serial, "its witness of this station cannot be read") from None
    der = card.certificate
    try:
        signed = (witness.instance == instance and witness.signer_cert_sha256 == certs.fingerprint(der)
                  and verify_signature(der, witness.algorithm, witness.message(), witness.signature))
    except Exception:  # an unknown algorithm is as good as a bad signature here
        signed = False
    if not signed:
        raise _older(card.serial, "its witness of this station is not signed by the card")
    return witness


def check(card: Card, store: Store, audit: Audit) -> list[Witness]:
    """Refuse a store older than this (logged-in) card has seen.

    Returns the card's witnesses of the stores this one was restored from (``backup
    restore`` gives a restored store a new instance id and records the old one), when it
    has none of this one yet: they may show a newer state than the backup brought back,
    and :func:`adopt` lifts the numbers above them once the session is open. A copy of
    an old file records no restore and keeps its id, so its cards' witnesses refuse it.
    """
    from station.store.backups import Backups

    instance = instance_of(store)
    witness = _read(card, instance)
    if witness is None:
        return [w for old in Backups(store).restored_from() if (w := _read(card, old)) is not None]
    if witness.superseded_by:
        raise _older(card.serial, f"it saw this station restored from a backup, as instance "
                     f"{witness.superseded_by[:8]}; this is the store the restore replaced")
    # The store is read after the card: a witness describes a committed state, so another
    # process that witnessed meanwhile has committed at least what its witness says.
    with store.transaction():
        seen = audit.rows.root_of(witness.size) if witness.size else merkle.EMPTY_ROOT
        current = Counters(store).all()
        # Fast path, the same cost at any log size: the row at the card's tree size stored
        # the root the card saw. The store is encrypted and authenticated, so a file copied
        # back cannot carry a matching row it never had. Only on doubt are the leaves read.
        leaves = None if seen == witness.root else [leaf for _, leaf in audit.rows.leaves()]
    if leaves is not None:
        if witness.size > len(leaves):
            raise _older(card.serial, f"it saw {witness.size} audit entries, the store holds {len(leaves)}")
        proof = merkle.consistency_proof(leaves, witness.size)
        new_root = merkle.MerkleLog.from_leaves(leaves).root()
        if not merkle.verify_consistency(witness.size, len(leaves), witness.root, new_root, proof):
            raise _older(card.serial, f"the audit log does not extend the {witness.size} entries it saw")
    for key, value in sorted(witness.counters.items()):
        if current.get(key, 0) < value:
            raise _older(card.serial, f"counter {key} is {current.get(key, 0)}, it saw {value}")
    return []


def adopt(session: Any, earlier: list[Witness]) -> None:
    """After a restore: every counter above the numbers the card saw before it (audited as
    ``numbers-raised``), then the card witnesses the restored store under its new id and
    marks its witnesses of the old ones superseded, so a copy of a replaced store put
    back later is refused by this card."""
    from station.backup.numbers import highest, raise_counters_after_restore

    raise_counters_after_restore(session, highest(*(w.counters for w in earlier)))
    try:
        now_seen = record(session)
        for old in earlier:
            if not old.superseded_by:
                _store(session, replace(old, time=now_text(), superseded_by=now_seen.instance, signature=b""))
    except StationError:
        pass  # the logout witness covers it; until then the next login adopts again
