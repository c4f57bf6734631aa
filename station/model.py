"""Frozen dataclasses and enums shared by the services and the UI."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

__all__ = ["Role", "CardState", "Actor", "CardView", "Enrollment", "AuditEntry", "TreeHead", "AuditReport",
           "ApplicationState", "ImpressionState", "Application", "Impression", "SealState", "SealFunction",
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
    serial: str
    cert_sha256: str
    role: Role
    name: str
    certificate: bytes
    enrolled_at: datetime


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


# -- applications and the impression library (issue #3) ---------------------------------
class ApplicationState(str, enum.Enum):
    """submitted -> approved | rejected (returned with a reason); approved -> made."""

    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    MADE = "made"


class ImpressionState(str, enum.Enum):
    """Only an active impression can be made into a seal; destroyed is for ever."""

    ACTIVE = "active"
    DISABLED = "disabled"
    DESTROYED = "destroyed"


@dataclass(frozen=True)
class Application:
    """An application form (申请单) as entered at the counter, and what became of it.

    ``entered_by`` is the certificate SHA-256 of the officer who entered it (the
    supervisor who decides must be someone else); the submitted impression itself stays
    encrypted in the store and is never part of this record.
    """

    id: int
    seal_kind: str  # official|department|contract|finance|special|personal-name|personal-signature
    unit: str
    credit_code: str | None
    seal_name: str
    purpose: str
    holder_name: str | None
    holder_id_type: str | None
    holder_id: str | None
    state: str  # ApplicationState value
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


@dataclass(frozen=True)
class Impression:
    """One impression in the library (印模库): metadata only, never the picture."""

    id: int
    unit: str
    seal_name: str
    seal_kind: str
    state: str  # ImpressionState value
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


# -- the life of a seal ----------------------------------------------------------------
class SealState(str, enum.Enum):
    """active -> frozen -> active; active|frozen -> lost -> active; anything -> revoked (final)."""

    ACTIVE = "active"
    FROZEN = "frozen"
    LOST = "lost"
    REVOKED = "revoked"


class SealFunction(str, enum.Enum):
    """What a seal may be used for (DOMAIN.md): office documents, web pages, login."""

    OFFICE = "office"
    WEB = "web"
    LOGIN = "login"


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
