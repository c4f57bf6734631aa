"""``keyslots.json``: the public file that holds the master key wrapped once per card.

It is read before any store can be opened (login needs the card's slot to open the
store), so it lives beside the database, not in it. Typed here so that no caller digs
through nested dicts: a file that does not have this shape is damaged, and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from station.errors import StateError
from station.model import Role

__all__ = ["CardSlot", "KeySlots"]

_DAMAGED = "keyslots.json in the station home is damaged"


@dataclass(frozen=True)
class CardSlot:
    """One enrolled card's slot: who it is, and the master key wrapped for its key."""

    serial: str
    role: Role
    name: str
    cert_sha256: str
    certificate: str  # base64 DER
    slot: dict[str, Any] = field(repr=False)  # crypto.envelope's wrapped key, as it wrote it

    def to_json(self) -> dict[str, Any]:
        return {"serial": self.serial, "role": self.role.value, "name": self.name,
                "cert_sha256": self.cert_sha256, "certificate": self.certificate, "slot": self.slot}


@dataclass(frozen=True)
class KeySlots:
    """The whole file: card slots by certificate SHA-256, the recovery slot, the inbox key."""

    station_id: str = ""
    slots: dict[str, CardSlot] = field(default_factory=dict)
    recovery: dict[str, Any] | None = field(default=None, repr=False)
    inbox: str | None = None  # the audit inbox's public key (SPKI, base64)

    def for_cert(self, cert_sha256: str) -> CardSlot | None:
        return self.slots.get(cert_sha256)

    def serials(self) -> set[str]:
        """Serials of the station's authorization cards."""
        return {s.serial for s in self.slots.values()}

    def roles(self) -> dict[str, Role]:
        """Certificate SHA-256 -> role, for telling cards apart without a store."""
        return {s.cert_sha256: s.role for s in self.slots.values()}

    def without(self, cert_sha256: str) -> "KeySlots":
        """The file with one card's slot removed (a retired card)."""
        return replace(self, slots={d: s for d, s in self.slots.items() if d != cert_sha256})

    def with_slot(self, slot: CardSlot) -> "KeySlots":
        return replace(self, slots={**self.slots, slot.cert_sha256: slot})

    @classmethod
    def from_json(cls, data: Any) -> "KeySlots":
        try:
            slots = {digest: CardSlot(str(s["serial"]), Role(s["role"]), str(s["name"]), str(s["cert_sha256"]),
                                      str(s["certificate"]), dict(s["slot"]))
                     for digest, s in (data.get("slots") or {}).items()}
            recovery = data.get("recovery")
            inbox = data.get("inbox")
            if recovery is not None and not isinstance(recovery, dict):
                raise TypeError("recovery")
            return cls(str(data.get("station_id", "")), slots, recovery, None if inbox is None else str(inbox))
        except (AttributeError, KeyError, TypeError, ValueError):
            raise StateError(_DAMAGED, hint="restore it from a backup") from None

    def to_json(self) -> dict[str, Any]:
        return {"station_id": self.station_id, "slots": {d: s.to_json() for d, s in self.slots.items()},
                "recovery": self.recovery, "inbox": self.inbox}
