"""Frozen dataclasses and enums shared by the services and the UI."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from station.vocabulary import ApplicationState, ImpressionState, SealKind

__all__ = ["Role", "CardState", "Actor", "CardView", "Enrollment", "AuditEntry", "AuditRow", "TreeHead",
           "AuditReport", "Application", "Impression", "CoSignature", "Seal", "Issuance", "IssuedRecord",
           "RegistrySeal", "SealEvent", "Authorization"]


class Role(str, enum.Enum):
    """Who may do what at the station (DOMAIN.md, "Who uses it")."""

    ADMIN = "admin"
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"


class CardState(str, enum.Enum):
    """What a token in a reader is, as far as the station can tell without a PIN."""

    AUTHORIZATION = "authorization"  # enrolled at this station
    BLANK = "blank"  # holds a certificate and key, no seal made here
    SEALED = "sealed"  # a seal was written onto it by this station
    INSPECT = "needs-inspection"  # pulled out while a seal was being written
    UNKNOWN = "unknown"  # no usable certificate


@dataclass(frozen=True)
class Actor:
    """The person behind a card: certificate hash, name and role."""

    cert_sha256: str
    name: str
    role: Role
    serial: str


@dataclass(frozen=True)
class CardView:
    serial: str
    label: str
    state: CardState
    subject: str
    role: Role | None
    pin_locked: bool
    tries_left: int | None


@dataclass(frozen=True)
class Enrollment:
    """A card enrolled at the station; a removed card keeps its row (old receipts verify)."""

    serial: str
    cert_sha256: str
    role: Role
    name: str
    certificate: bytes = field(repr=False)
    enrolled_at: str  # ISO time, UTC
    removed_at: str | None = None


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    time: str
    actor: dict
    action: str
    object: str
    outcome: str  # ok | refused | failed
    terminal: dict
    details: dict


@dataclass(frozen=True)
class AuditRow:
    """One stored log row: the entry text and the leaf hash and root recorded with it."""

    seq: int
    entry: str
    leaf: bytes
    root: bytes


@dataclass(frozen=True)
class TreeHead:
    size: int
    root: bytes
    time: str
    signer_cert_sha256: str
    algorithm: str
    signature: bytes


@dataclass(frozen=True)
class AuditReport:
    ok: bool
    size: int
    signed_size: int
    root: bytes
    problems: tuple[tuple[int, str], ...]  # (seq, what)
    heads_checked: int


# -- applications and the impression library ---------------------------------------------
@dataclass(frozen=True)
class Application:
    """An application form (申请单) as entered at the counter, and what became of it.

    ``entered_by`` is the certificate SHA-256 of the officer who entered it (the
    supervisor who decides must be someone else); the submitted impression itself stays
    encrypted in the store and is never part of this record.
    """

    id: int
    seal_kind: SealKind
    unit: str
    credit_code: str | None
    seal_name: str
    purpose: str
    holder_name: str | None
    holder_id_type: str | None
    holder_id: str | None
    state: ApplicationState
    impression_id: int | None
    entered_by: str
    entered_by_name: str
    submitted_at: str
    decided_by: str | None = None
    decided_by_name: str | None = None
    decided_at: str | None = None
    reason: str | None = None
    esid: str | None = None
    made_at: str | None = None
    width_mm: int = 0
    height_mm: int = 0
    original_sha256: str = ""
    png_sha256: str = ""
    width_px: int = 0
    height_px: int = 0
    source_format: str = "png"

    def __post_init__(self) -> None:
        # Rows and forms hand over the stored text; the record holds the words themselves.
        object.__setattr__(self, "seal_kind", SealKind(self.seal_kind))
        object.__setattr__(self, "state", ApplicationState(self.state))


@dataclass(frozen=True)
class Impression:
    """One impression in the library (印模库): metadata only, never the picture."""

    id: int
    unit: str
    seal_name: str
    seal_kind: SealKind
    state: ImpressionState
    width_mm: int
    height_mm: int
    original_sha256: str
    png_sha256: str
    imported_at: str  # effective start; validity is unlimited
    application_id: int
    width_px: int = 0
    height_px: int = 0
    source_format: str = "png"
    imported_by: str = ""
    changed_at: str | None = None
    changed_by: str | None = None
    reason: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "seal_kind", SealKind(self.seal_kind))
        object.__setattr__(self, "state", ImpressionState(self.state))


# -- seals made here and their issuance ----------------------------------------------------
@dataclass(frozen=True)
class CoSignature:
    """One supervisor's signature over the issuance digest."""

    serial: str
    cert_sha256: str
    name: str
    algorithm: str
    signature: bytes = field(repr=False)


@dataclass(frozen=True)
class Seal:
    """A seal made at this station, as recorded (its DER is read on its own when needed)."""

    esid: str
    application_id: int
    seal_sha256: str
    card_serial: str
    card_cert_sha256: str
    name: str
    unit: str
    seal_kind: str
    valid_start: str
    valid_end: str
    made_at: str
    officer_cert_sha256: str
    functions: tuple[str, ...]
    state: str = "active"


@dataclass(frozen=True)
class Issuance:
    """Who received a seal, who co-authorized it, and the receipt once it is signed."""

    esid: str
    recipient: str
    issued_at: str
    officer_cert_sha256: str
    supervisors: tuple[CoSignature, ...]
    digest: str
    receipt: str | None = None
    number: int | None = None  # the receipt number, reserved before the supervisors co-signed it


@dataclass(frozen=True)
class IssuedRecord:
    """A seal with its issuance and the name of the officer who made it."""

    seal: Seal
    issuance: Issuance
    officer_name: str


# -- the life of a seal ----------------------------------------------------------------
@dataclass(frozen=True)
class RegistrySeal:
    """One line of the seal registry: a seal made here, where it is and what became of it."""

    esid: str
    unit: str
    name: str
    seal_kind: str
    card_serial: str
    state: str  # SealState value
    made_at: str
    valid_end: str
    recipient: str
    renews: str | None = None
    renewed_by: str | None = None
    state_reason: str | None = None
    state_at: str | None = None
    functions: tuple[str, ...] = ()
    application_id: int = 0


@dataclass(frozen=True)
class SealEvent:
    """A change of a seal's state, who made it, why, and its signed receipt."""

    id: int
    esid: str
    action: str
    from_state: str
    to_state: str
    reason_code: str
    reason: str
    time: str
    actor_cert_sha256: str
    actor_name: str
    supervisors: tuple[dict, ...] = ()
    receipt: str | None = None


@dataclass(frozen=True)
class Authorization:
    """Who may use a seal, for which functions: a named person (ID checked) or a role."""

    id: int
    esid: str
    person: str | None
    person_id: str | None
    role: str | None
    functions: tuple[str, ...]
    granted_at: str
    granted_by: str
    automatic: bool = False
