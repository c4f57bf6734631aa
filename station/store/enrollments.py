"""Enrollments: which card certificates act at this station, in which role.

One query answers "is this certificate enrolled now, and as what" for login, the
supervisor checks of the ceremony and enrollment itself; removed cards keep their row so
that receipts and signed tree heads they made still verify.
"""

from __future__ import annotations

from station.model import Enrollment, Role
from station.store.db import Store

__all__ = ["Enrollments"]

_COLUMNS = "serial, cert_sha256, role, name, certificate, enrolled_at, removed_at"


def _enrollment(row: tuple) -> Enrollment:
    serial, digest, role, name, certificate, enrolled_at, removed_at = row
    return Enrollment(serial=serial, cert_sha256=digest, role=Role(role), name=name,
                      certificate=bytes(certificate), enrolled_at=enrolled_at, removed_at=removed_at)


class Enrollments:
    """The ``enrollments`` table."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def active(self, cert_sha256: str) -> Enrollment | None:
        """The card's enrollment if it has not been removed, else None."""
        row = self.store.one(f"SELECT {_COLUMNS} FROM enrollments WHERE cert_sha256 = ? AND removed_at IS NULL",
                             (cert_sha256,))
        return _enrollment(row) if row else None

    def all(self) -> list[Enrollment]:
        """Every enrollment ever made, removed ones included, oldest first."""
        rows = self.store.all(f"SELECT {_COLUMNS} FROM enrollments ORDER BY enrolled_at, cert_sha256")
        return [_enrollment(r) for r in rows]

    def certificates(self) -> dict[str, bytes]:
        """Certificate SHA-256 -> DER of every card that ever acted here (head signers)."""
        return {r[0]: bytes(r[1]) for r in self.store.all("SELECT cert_sha256, certificate FROM enrollments")}

    def add(self, enrollment: Enrollment) -> None:
        """Enroll a card; a retired card enrolled again takes up its row (the log keeps both)."""
        self.store.execute(
            "INSERT INTO enrollments (cert_sha256, serial, role, name, certificate, enrolled_at) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (cert_sha256) DO UPDATE SET serial = excluded.serial, role = excluded.role,"
            " name = excluded.name, enrolled_at = excluded.enrolled_at, removed_at = NULL",
            (enrollment.cert_sha256, enrollment.serial, enrollment.role.value, enrollment.name,
             enrollment.certificate, enrollment.enrolled_at))

    def remove(self, cert_sha256: str, when: str) -> None:
        """Retire an enrollment: the row stays (its receipts and heads still verify)."""
        self.store.execute("UPDATE enrollments SET removed_at = ? WHERE cert_sha256 = ? AND removed_at IS NULL",
                           (when, cert_sha256))
