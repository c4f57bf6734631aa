"""Certificate names as RFC 4514 text, for people and for ``--json``.

Two readers give the same text: :func:`_dn` from asn1crypto's view of a name, and
:func:`_plain_dn` from the (OID, text) pairs that :func:`.certs._plain_name` reads
straight from the DER. :func:`_plain_text` decides which attribute values the
plain reader may decode itself - only those it decodes exactly as asn1crypto does.
"""

from __future__ import annotations

import re

from asn1crypto import core, x509

from .der import _Part, _tlv, _Unusual

__all__: list[str] = []  # package-internal: the sibling modules import these names explicitly


_SHORT_NAMES = {
    "common_name": "CN",
    "country_name": "C",
    "organization_name": "O",
    "organizational_unit_name": "OU",
    "locality_name": "L",
    "state_or_province_name": "ST",
    "street_address": "STREET",
    "domain_component": "DC",
    "email_address": "emailAddress",
    "serial_number": "serialNumber",
    "organization_identifier": "organizationIdentifier",
}


_ESCAPES = str.maketrans({ch: "\\" + ch for ch in ',+"\\<>;'})
_SPECIAL = re.compile(r'[,+"\\<>;]')


def _escape(value: str) -> str:
    out = value.translate(_ESCAPES) if _SPECIAL.search(value) else value
    if out.startswith(("#", " ")):
        out = "\\" + out
    if out.endswith(" ") and not out.endswith("\\ "):
        out = out[:-1] + "\\ "
    return out


def _dn(name: x509.Name) -> str:
    """RFC 4514 string of a name (most specific first), for people and JSON."""
    parts = []
    for rdn in reversed(list(name.chosen)):
        atoms = []
        for atv in rdn:
            kind = atv["type"]
            label = _SHORT_NAMES.get(kind.native, kind.dotted)
            value = atv["value"].native
            text = _escape(value) if isinstance(value, str) else "#" + atv["value"].dump().hex()
            atoms.append(f"{label}={text}")
        parts.append("+".join(atoms))
    return ",".join(parts)


def _plain_labels() -> dict[bytes, tuple[str, bool]]:
    """OID contents -> (label, IA5 kind) for the name attributes that
    :func:`_plain_name` reads: those of ``_SHORT_NAMES`` that asn1crypto reads as a
    DirectoryString, or (IA5 kind) as an EmailAddress or DNSName."""
    out = {}
    for dotted, name in x509.NameType._map.items():
        spec = x509.NameTypeAndValue._oid_specs.get(name)
        if name in _SHORT_NAMES and spec in (x509.DirectoryString, x509.EmailAddress, x509.DNSName):
            out[core.ObjectIdentifier(dotted).contents] = (_SHORT_NAMES[name], spec is not x509.DirectoryString)
    return out


_PLAIN_LABELS = _plain_labels()
_PLAIN_STRINGS = {0x0C: "utf-8", 0x13: "latin1"}  # UTF8String, PrintableString: asn1crypto's codecs
_IA5_TAGS = (0x16, 0x0C, 0x13)  # IA5String, and the UTF8/PrintableString asn1crypto takes for it
_COMMON_NAME = core.ObjectIdentifier("2.5.4.3").contents


def _plain_text(kind: bytes, tag: int, raw: bytes) -> str:
    """An attribute's text as asn1crypto's ``.native`` gives it, for the plain cases."""
    ia5 = _PLAIN_LABELS[kind][1]
    if not ia5:
        encoding = _PLAIN_STRINGS.get(tag)
        if encoding is None:
            raise _Unusual
        return raw.decode(encoding)
    # asn1crypto reads e-mail addresses (cp1252 @ IDNA) and DNS names (IDNA) through
    # codecs that leave printable ASCII without an "xn--" label as it is; only that here
    text = raw.decode("ascii")
    if tag not in _IA5_TAGS or not text.isprintable() or "xn--" in text.lower():
        raise _Unusual
    return text


def _plain_dn(rdns: list[list[tuple[bytes, str]]]) -> str:
    """:func:`_dn` of a name :func:`_plain_name` read."""
    parts = []
    for rdn in reversed(rdns):
        if len(rdn) == 1:
            kind, text = rdn[0]
            parts.append(_PLAIN_LABELS[kind][0] + "=" + _escape(text))
        else:
            parts.append("+".join(_PLAIN_LABELS[kind][0] + "=" + _escape(text) for kind, text in rdn))
    return ",".join(parts)


# How a string type is decoded when asn1crypto's schema does not expect it there;
# anything else (or bytes that do not decode) is shown as RFC 4514 "#" + hex.
# (8-bit types: UTF-8 first, which vendors put even in IA5Strings, then Latin-1.)
_ANY_STRING = {0x0C: ("utf-8",), 0x13: ("utf-8", "latin1"), 0x16: ("utf-8", "latin1"),
               0x14: ("utf-8", "latin1"), 0x12: ("utf-8", "latin1"), 0x1A: ("utf-8", "latin1"),
               0x1E: ("utf-16-be",), 0x1C: ("utf-32-be",)}
_LABELS_BY_OID = {core.ObjectIdentifier(dotted).contents: _SHORT_NAMES[name]
                  for dotted, name in x509.NameType._map.items() if name in _SHORT_NAMES}


def _tolerant_dn(der: bytes, span: _Part) -> str:
    """RFC 4514 text of a name whatever string types its attributes use.

    For names asn1crypto refuses (a listed certificate of a vendor's seal with an
    e-mail address as UTF8String, an x500UniqueIdentifier as text): the seal is read
    tolerantly where its maker's signature covers it, and the name is still shown.
    """
    parts = []
    _, start, end = span
    while start < end:
        _, at, rdn_end = _tlv(der, start, end)
        start = rdn_end
        atoms = []
        while at < rdn_end:
            _, inner, atv_end = _tlv(der, at, rdn_end)
            at = atv_end
            _, oid_start, oid_end = _tlv(der, inner, atv_end)
            tag, value_start, value_end = _tlv(der, oid_end, atv_end)
            kind = der[oid_start:oid_end]
            label = _LABELS_BY_OID.get(kind) or core.ObjectIdentifier(contents=kind).dotted
            text = "#" + der[oid_end:value_end].hex()
            for codec in _ANY_STRING.get(tag, ()):
                try:
                    text = _escape(der[value_start:value_end].decode(codec))
                    break
                except UnicodeDecodeError:
                    continue
            atoms.append(f"{label}={text}")
        parts.append("+".join(atoms))
    return ",".join(reversed(parts))
