"""The ASN.1 of seals and seal signatures (DESIGN.md §4), as asn1crypto classes.

These classes are the slow, thorough reader: :mod:`.parsing` tries the fast reader
first and falls back to them for anything unusual, v1 seals and document signatures
always go through them, and :mod:`.build` writes v4 seals with them. Field names
follow GB/T 38540-2020 (v4, v5) and GM/T 0031-2014 (v1) so the code reads against
the standards.
"""

from __future__ import annotations

from asn1crypto import core, x509

__all__: list[str] = []  # package-internal: the sibling modules import these names explicitly


class _Header(core.Sequence):
    _fields = [("id", core.IA5String), ("version", core.Integer), ("vid", core.IA5String)]


class _Certs(core.SequenceOf):
    _child_spec = core.OctetString


class _AnyList(core.SequenceOf):
    _child_spec = core.Any


class _CertDigest(core.Sequence):
    _fields = [("type", core.PrintableString), ("value", core.OctetString)]


class _CertDigests(core.SequenceOf):
    _child_spec = _CertDigest


class _PropertyV4(core.Sequence):
    _fields = [
        ("type", core.Integer),
        ("name", core.UTF8String),
        ("certListType", core.Integer),
        ("certList", core.Any),  # CHOICE of two SEQUENCE OFs: certListType decides
        ("createDate", x509.Time),
        ("validStart", x509.Time),
        ("validEnd", x509.Time),
    ]


class _PropertyV1(core.Sequence):
    _fields = [
        ("type", core.Integer),
        ("name", core.UTF8String),
        ("certList", core.Any),  # SEQUENCE OF OCTET STRING; vendors put other things in it
        ("createDate", x509.Time),
        ("validStart", x509.Time),
        ("validEnd", x509.Time),
    ]


class _Picture(core.Sequence):
    _fields = [
        ("type", core.IA5String),
        ("data", core.OctetString),
        ("width", core.Integer),
        ("height", core.Integer),
    ]


class _ExtData(core.Sequence):
    _fields = [
        ("extnID", core.ObjectIdentifier),
        ("critical", core.Boolean, {"default": False}),
        ("extnValue", core.OctetString),
    ]


class _ExtDatas(core.SequenceOf):
    _child_spec = _ExtData


class _SealInfoV4(core.Sequence):
    _fields = [
        ("header", _Header),
        ("esID", core.IA5String),
        ("property", _PropertyV4),
        ("picture", _Picture),
        ("extDatas", _ExtDatas, {"optional": True}),
    ]


class _SealInfoV1(core.Sequence):
    _fields = [
        ("header", _Header),
        ("esID", core.IA5String),
        ("property", _PropertyV1),
        ("picture", _Picture),
        ("extDatas", _ExtDatas, {"optional": True}),
    ]


class _SESealV4(core.Sequence):
    _fields = [
        ("eSealInfo", _SealInfoV4),
        ("cert", core.OctetString),
        ("signAlgID", core.ObjectIdentifier),
        ("signedValue", core.OctetBitString),
        ("timeStamp", core.OctetBitString, {"explicit": 0, "optional": True}),  # v5
    ]


class _SignInfoV1(core.Sequence):
    _fields = [
        ("cert", core.OctetString),
        ("signatureAlgorithm", core.ObjectIdentifier),
        ("signData", core.OctetBitString),
    ]


class _SESealV1(core.Sequence):
    _fields = [("esealInfo", _SealInfoV1), ("signInfo", _SignInfoV1)]


class _TBSSign(core.Sequence):
    _fields = [
        ("version", core.Integer),
        ("eseal", core.Any),
        ("timeInfo", x509.Time),
        ("dataHash", core.OctetBitString),
        ("propertyInfo", core.IA5String),
        ("extDatas", _ExtDatas, {"explicit": 0, "optional": True}),
    ]


class _SESSignature(core.Sequence):
    _fields = [
        ("toSign", _TBSSign),
        ("cert", core.OctetString),
        ("signatureAlgID", core.ObjectIdentifier),
        ("signature", core.OctetBitString),
        ("timeStamp", core.OctetBitString, {"explicit": 0, "optional": True}),
    ]
