"""Checks for the values an application form carries.

A seal binds a name to an identity for years; a typo in a credit code or an ID number
would be signed into the seal and could not be corrected later. So every identifier is
checked here, with its national check digits, before it reaches the store, and every
rejection is an :class:`InputError` that says *what* is wrong, so the officer can fix
the form instead of guessing.

Identifiers are normalised first (Unicode NFKC, so full-width digits typed with a
Chinese input method are accepted; surrounding spaces removed; upper case) and the
normalised form is returned: that is what the station stores and prints.
"""

from __future__ import annotations

import unicodedata
from datetime import date

from station.errors import InputError
from station.vocabulary import SealKind, values

__all__ = [
    "CREDIT_CODE_ALPHABET",
    "UNIT_SEAL_KINDS",
    "PERSONAL_SEAL_KINDS",
    "SEAL_KINDS",
    "IDENTITY_DOC_TYPES",
    "IDENTITY_DOC_NAMES",
    "check_credit_code",
    "check_resident_id",
    "check_identity",
    "check_seal_kind",
    "check_seal_name",
    "seal_kind_name",
    "generate_credit_code",
    "generate_resident_id",
]

# --- unified social credit code (GB 32100-2015) -----------------------------------------

#: The 31 characters a credit code may use (no I, O, S, V, Z: they look like digits).
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)  # 3**i mod 31
# Organisation code (GB 11714-1997), embedded at positions 9-17.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_DIGITS = "0123456789"
_CREDIT_HINT = "Copy the 18-character code from the unit's business licence (营业执照)."


def _normalise(value: object, what: str) -> str:
    """NFKC + strip + upper; anything that is not text is a bad input, not a crash."""
    if not isinstance(value, str):
        raise InputError(f"the {what} must be text")
    return unicodedata.normalize("NFKC", value).strip().upper()


def _credit_check_char(first17: str) -> str:
    total = sum(CREDIT_CODE_ALPHABET.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def _org_check_char(body8: str) -> str:
    total = sum(int(c, 36) * w for c, w in zip(body8, _ORG_WEIGHTS))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def check_credit_code(code: str) -> str:
    """Return the normalised 统一社会信用代码, or raise InputError saying what is wrong.

    Checked: length 18, alphabet, administrative division digits (positions 3-8), the
    organisation code's own check digit (position 17, GB 11714) and the code's check
    character (position 18, GB 32100).
    """
    norm = _normalise(code, "unified social credit code")
    if len(norm) != 18:
        raise InputError(f"a unified social credit code has 18 characters, not {len(norm)}", hint=_CREDIT_HINT)
    for pos, char in enumerate(norm, start=1):
        if char not in CREDIT_CODE_ALPHABET:
            raise InputError(
                f"character {char!r} at position {pos} is not allowed in a unified social credit code",
                hint="Only digits and the capital letters other than I, O, S, V and Z are used.",
            )
    if norm[1] == "0":
        raise InputError("position 2 (organisation type) cannot be 0", hint=_CREDIT_HINT)
    if any(c not in _DIGITS for c in norm[2:8]):
        raise InputError("positions 3-8 (administrative division code) must be digits", hint=_CREDIT_HINT)
    org_expected = _org_check_char(norm[8:16])
    if norm[16] != org_expected:
        raise InputError(
            f"organisation code check digit (position 17) is {norm[16]}, expected {org_expected}",
            hint=_CREDIT_HINT,
        )
    expected = _credit_check_char(norm[:17])
    if norm[17] != expected:
        raise InputError(f"check digit is {norm[17]}, expected {expected}", hint=_CREDIT_HINT)
    return norm


def generate_credit_code(
    seed_digits: str | int = 0, *, authority: str = "9", org_type: str = "1", division: str = "110108"
) -> str:
    """Make a valid credit code (demo world, tests) from up to 8 organisation-code chars.

    An ``int`` seed is used as its last 8 decimal digits; a string is left-padded with 0.
    """
    if isinstance(seed_digits, int) and not isinstance(seed_digits, bool):
        body = f"{seed_digits % 10**8:08d}"
    else:
        body = _normalise(seed_digits, "seed").rjust(8, "0")
    if len(body) != 8 or any(c not in CREDIT_CODE_ALPHABET for c in body):
        raise InputError("the seed must be at most 8 credit-code characters")
    head = f"{authority}{org_type}{division}".upper()
    if len(head) != 8:
        raise InputError("authority and org_type are one character, division six digits")
    first16 = head + body
    first17 = first16 + _org_check_char(body)
    return check_credit_code(first17 + _credit_check_char(first17))


# --- resident identity card number (GB 11643-1999) ---------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# First two digits: provinces, Taiwan (71), Hong Kong/Macao/Taiwan residence permits (81-83).
_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82 83".split()
)
_ID_HINT = "Copy the 18-character number from the identity card."


def _id_check_char(first17: str) -> str:
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS)) % 11]


def check_resident_id(number: str, *, today: date | None = None) -> str:
    """Return the normalised 居民身份证号码, or raise InputError saying what is wrong.

    Checked: 17 digits + check character, a province code, a real birth date from 1900
    on and not in the future (``today`` is injectable for tests), the check character.
    """
    norm = _normalise(number, "identity card number")
    if len(norm) != 18:
        raise InputError(f"a resident identity card number has 18 characters, not {len(norm)}", hint=_ID_HINT)
    for pos, char in enumerate(norm[:17], start=1):
        if char not in _DIGITS:
            raise InputError(f"character {char!r} at position {pos} must be a digit", hint=_ID_HINT)
    if norm[17] not in _ID_CHECK:
        raise InputError(f"the last character must be a digit or X, not {norm[17]!r}", hint=_ID_HINT)
    if norm[:2] not in _PROVINCES:
        raise InputError(f"{norm[:2]} is not a province code (positions 1-2)", hint=_ID_HINT)
    try:
        birth = date(int(norm[6:10]), int(norm[10:12]), int(norm[12:14]))
    except ValueError:
        raise InputError(f"positions 7-14 ({norm[6:14]}) are not a real birth date", hint=_ID_HINT) from None
    if birth.year < 1900:
        raise InputError(f"birth date {birth.isoformat()} is before 1900", hint=_ID_HINT)
    if birth > (today or date.today()):
        raise InputError(f"birth date {birth.isoformat()} is in the future", hint=_ID_HINT)
    expected = _id_check_char(norm[:17])
    if norm[17] != expected:
        raise InputError(f"check digit is {norm[17]}, expected {expected}", hint=_ID_HINT)
    return norm


def generate_resident_id(birth: date = date(1990, 1, 1), *, area: str = "110105", sequence: int = 1) -> str:
    """Make a valid ID number (demo world, tests). ``sequence`` 0-999; odd means male."""
    if len(area) != 6 or any(c not in _DIGITS for c in area) or not 0 <= sequence <= 999:
        raise InputError("area must be six digits and sequence 0-999")
    first17 = f"{area}{birth:%Y%m%d}{sequence:03d}"
    return check_resident_id(first17 + _id_check_char(first17))


# --- identity documents ------------------------------------------------------------------

IDENTITY_DOC_NAMES: dict[str, tuple[str, str]] = {
    "resident-id": ("居民身份证", "Resident identity card"),
    "passport": ("护照", "Passport"),
    "hk-macao-permit": ("港澳居民来往内地通行证", "Mainland travel permit (Hong Kong / Macao)"),
    "taiwan-permit": ("台湾居民来往大陆通行证", "Mainland travel permit (Taiwan)"),
    "other": ("其他证件", "Other document"),
}
IDENTITY_DOC_TYPES: tuple[str, ...] = tuple(IDENTITY_DOC_NAMES)


def check_identity(doc_type: str, number: str) -> str:
    """Check an identity document number by type; returns the normalised number.

    Only the resident ID has a national check digit. Other documents are checked for
    shape only (5-30 printable characters, no spaces); ``other`` keeps its letter case.
    """
    if doc_type not in IDENTITY_DOC_NAMES:
        raise InputError(
            f"unknown identity document type {doc_type!r}", hint="Use one of: " + ", ".join(IDENTITY_DOC_TYPES)
        )
    if doc_type == "resident-id":
        return check_resident_id(number)
    if not isinstance(number, str):
        raise InputError("the document number must be text")
    norm = unicodedata.normalize("NFKC", number).strip()
    if doc_type != "other":
        norm = norm.upper()
    if not 5 <= len(norm) <= 30:
        raise InputError(f"a document number has 5 to 30 characters, not {len(norm)}")
    for char in norm:
        if not char.isprintable() or char.isspace():
            raise InputError(f"the document number contains a space or control character ({ord(char):#06x})")
    return norm


# --- seal kinds and names ----------------------------------------------------------------

UNIT_SEAL_KINDS: tuple[str, ...] = tuple(k.value for k in SealKind if not k.personal)
PERSONAL_SEAL_KINDS: tuple[str, ...] = tuple(k.value for k in SealKind if k.personal)
SEAL_KINDS: tuple[str, ...] = tuple(values(SealKind))
# Control, format (bidi overrides, zero-width), surrogate, private, unassigned, line breaks.
_BAD_NAME_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def check_seal_kind(kind: str) -> str:
    """Return ``kind`` if it is one of :data:`SEAL_KINDS`, else raise InputError."""
    if kind not in SEAL_KINDS:
        raise InputError(f"unknown seal kind {kind!r}", hint="Use one of: " + ", ".join(SEAL_KINDS))
    return kind


def seal_kind_name(kind: str, lang: str = "zh") -> str:
    """Display name of a seal kind in ``zh`` (any ``zh_*``) or ``en``: :class:`SealKind`'s."""
    return SealKind(check_seal_kind(kind)).name_in(lang)


def check_seal_name(name: str) -> str:
    """Return the stripped seal name (1-64 characters, no control characters).

    Only NFC is applied, not NFKC: a unit's legal name keeps its full-width brackets.
    Invisible characters are refused so that two names that look the same are the same.
    """
    if not isinstance(name, str):
        raise InputError("the seal name must be text")
    norm = unicodedata.normalize("NFC", name).strip()
    if not norm:
        raise InputError("the seal name is empty", hint="Enter the name as it appears on the seal.")
    if len(norm) > 64:
        raise InputError(f"the seal name has {len(norm)} characters, at most 64 are allowed")
    for char in norm:
        if unicodedata.category(char) in _BAD_NAME_CATEGORIES:
            raise InputError(f"the seal name contains an invisible or control character ({ord(char):#06x})")
    return norm
