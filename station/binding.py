"""Whose card is it: a seal card is made only for the applicant its certificate names.

The card is the one thing here that cannot be copied, so binding the seal to the card's
certificate binds it to the unit or person the CA certified. A unit seal's card must
carry the unit's unified social credit code in a subject attribute value
(serialNumber, OU, O or CN, alone or inside a longer value, as CAs write it in
different places); a certificate that carries no credit code at all may instead have an
O equal to the unit's name. A personal seal's card must carry the holder's ID number, or
a CN equal to the holder's name. Anything else is refused (``card-not-applicants``), and
the review shows what matched.
"""

from __future__ import annotations

from dataclasses import dataclass

from crypto import certs
from station.errors import InputError
from station.model import Application
from station.validation import CREDIT_CODE_ALPHABET, check_credit_code
from station.vocabulary import SealKind

__all__ = ["Binding", "applicant_match", "credit_codes_in"]


@dataclass(frozen=True)
class Binding:
    """The subject attribute that ties the card to the applicant, and by what."""

    attribute: str  # serialNumber | OU | O | CN
    value: str
    by: str  # credit-code | unit-name | holder-id | holder-name

    def __str__(self) -> str:
        return f"{self.attribute}={self.value} ({self.by})"


def credit_codes_in(value: str) -> set[str]:
    """Every valid unified social credit code written inside ``value``."""
    text = value.upper()
    found = set()
    for i in range(len(text) - 17):
        window = text[i:i + 18]
        if all(c in CREDIT_CODE_ALPHABET for c in window):
            try:
                found.add(check_credit_code(window))
            except InputError:  # not a code, just 18 letters and digits
                continue
    return found


def applicant_match(certificate: bytes, app: Application) -> Binding | None:
    """What in the card's certificate names ``app``'s applicant; None when nothing does."""
    attrs = certs.subject_attributes(certificate)
    if SealKind(app.seal_kind).personal:
        holder_id = (app.holder_id or "").strip().upper()
        for name, value in attrs:
            if holder_id and holder_id in value.upper():
                return Binding(name, value, "holder-id")
        for name, value in attrs:
            if name == "CN" and app.holder_name and value.strip() == app.holder_name.strip():
                return Binding(name, value, "holder-name")
        return None
    code = (app.credit_code or "").strip().upper()
    for name, value in attrs:
        if code and code in value.upper():
            return Binding(name, value, "credit-code")
    if any(credit_codes_in(value) for _, value in attrs):
        return None  # the certificate names a unit by its code, and not this one
    for name, value in attrs:
        if name == "O" and value.strip() == app.unit.strip():
            return Binding(name, value, "unit-name")
    return None
