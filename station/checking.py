"""Verification inside the station (the TUI's Verify screen): a seal file, a seal card or a
receipt, judged with what the station knows, and every verification audited.

Outside tools verify against the public enrollment bundle and a status list; inside, the
station is its own authority: the bundle is built from its store (its trust anchors,
enrollments and quorum) and a seal made here is judged with its current state in the
registry — a frozen, lost or revoked seal is not valid, that word in ``problems``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from station.errors import StationError
from station.model import Role

if TYPE_CHECKING:  # pragma: no cover
    from station.receipts.bundle import Bundle
    from station.session import Session

__all__ = ["Verdict", "MAY_VERIFY", "verify_seal_file", "verify_seal_card", "verify_receipt_text", "own_bundle"]

MAY_VERIFY = frozenset({Role.OFFICER, Role.SUPERVISOR, Role.AUDITOR})


@dataclass(frozen=True)
class Verdict:
    """What the Verify screen shows; ``details`` is the full verdict of CLI.md."""

    kind: str  # seal-file | seal-card | receipt
    valid: bool
    signer: str
    name: str
    time: str
    method: str
    status: str
    problems: tuple[str, ...]
    warnings: tuple[str, ...]
    details: dict[str, Any] = field(repr=False, compare=False)


def _allowed(session: Session, kind: str, obj: str) -> None:
    from station.errors import PolicyError

    if session.actor.role not in MAY_VERIFY:
        session.log("verify", obj, "refused", kind=kind, reason="role")
        raise PolicyError("verification is for officers, supervisors and auditors", reason="role")


def _with_status(session: Session, result: dict[str, Any]) -> dict[str, Any]:
    from station.store.lifecycle import SealRegistry

    esid = str(result.get("esID") or "")
    seal = SealRegistry(session.store).get(esid) if esid.startswith(session.config.station_id + "-") else None
    result["status"] = seal.state if seal else "unknown"
    if seal is not None and seal.state != "active":
        result["problems"] = list(result.get("problems", [])) + [seal.state]
        result["valid"] = False
    return result


def _seal_verdict(kind: str, r: dict[str, Any]) -> Verdict:
    return Verdict(kind, bool(r["valid"]), str(r.get("maker") or ""), str(r.get("name") or ""),
                   f"{r.get('valid_start')} – {r.get('valid_end')}", str(r.get("algorithm") or ""),
                   str(r.get("status", "unknown")), tuple(r.get("problems", [])), tuple(r.get("warnings", [])), r)


def _logged(session: Session, kind: str, obj: str, run: Any) -> Verdict:
    _allowed(session, kind, obj)
    try:
        verdict: Verdict = run()
    except StationError as exc:
        session.log("verify", obj, "failed", kind=kind, reason=exc.message)
        raise
    session.log("verify", obj, "ok", kind=kind, valid=verdict.valid, status=verdict.status,
                problems=list(verdict.problems))
    return verdict


def verify_seal_file(session: Session, path: Path) -> Verdict:
    from station.verify import verify_file

    return _logged(session, "seal-file", str(path), lambda: _seal_verdict(
        "seal-file", _with_status(session, verify_file(Path(path), anchors=session.home.trust_anchors()))))


def verify_seal_card(session: Session, serial: str, pin: str) -> Verdict:
    from station.verify import verify_card

    return _logged(session, "seal-card", serial, lambda: _seal_verdict(
        "seal-card", _with_status(session, verify_card(session.home, serial, pin))))


def own_bundle(session: Session) -> Bundle:
    """This station's enrollment bundle, from its own store (trusted: it is ours)."""
    from station.receipts.bundle import Bundle, Enrolled
    from station.store.lifecycle import enrolled_rows

    enrolled = tuple(Enrolled(r[2], r[3], r[1], r[0], bytes(r[4]), r[5], r[6]) for r in enrolled_rows(session.store))
    return Bundle(session.config.station_id, tuple(session.home.trust_anchors()), enrolled, session.config.quorum,
                  None, "", True, ())


def verify_receipt_text(session: Session, text: str) -> Verdict:
    """A receipt (``SSR1:`` text, or a file holding it or its QR PNG)."""
    from station.receipts.verify import verify_receipt

    text = text.strip()

    def run() -> Verdict:
        source = text
        if not text.startswith("SSR1:") and Path(text).is_file():
            from station.receipts import qr

            data = Path(text).read_bytes()
            source = qr.decode_png(Path(text)) if data.startswith(b"\x89PNG") else data.decode("ascii", "replace")
        r = verify_receipt(source, own_bundle(session))
        event = r.get("event") or {}
        return Verdict("receipt", bool(r["valid"]), str(event.get("officer") or r.get("officer") or ""),
                       str(r.get("name") or ""), str(event.get("time") or r.get("issued_at") or ""), "SSR1 COSE_Sign1",
                       str(event.get("action") or "issuance"), tuple(r["problems"]), (), r)

    return _logged(session, "receipt", text[:40], run)
