"""Frozen dataclasses and enums shared by the services and the UI."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

__all__ = ["Role", "CardState", "Actor", "CardView", "Enrollment", "AuditEntry", "TreeHead", "AuditReport"]


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
