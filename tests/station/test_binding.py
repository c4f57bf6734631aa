"""Whose card is it: the rules of station/binding.py on certificates made here."""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from station.binding import applicant_match
from station.model import Application
from station.validation import generate_credit_code, generate_resident_id

CODE, OTHER = generate_credit_code(10001), generate_credit_code(20002)
ID = generate_resident_id(sequence=123)


@functools.cache
def _ca():
    from station.demo import make_ca

    return make_ca("Binding CA")


def cert(*attrs: tuple[str, str]) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509.oid import NameOID

    oids = {"CN": NameOID.COMMON_NAME, "O": NameOID.ORGANIZATION_NAME, "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
            "serialNumber": NameOID.SERIAL_NUMBER, "L": NameOID.LOCALITY_NAME}
    ca_key, ca_der = _ca()
    key = ec.generate_private_key(ec.SECP256R1())
    start = datetime.now(timezone.utc)
    built = (x509.CertificateBuilder()
             .subject_name(x509.Name([x509.NameAttribute(oids[k], v) for k, v in attrs]))
             .issuer_name(x509.load_der_x509_certificate(ca_der).subject).public_key(key.public_key())
             .serial_number(1).not_valid_before(start).not_valid_after(start + timedelta(days=1))
             .sign(ca_key, hashes.SHA256()))
    return built.public_bytes(Encoding.DER)


UNIT = Application(id=1, seal_kind="official", unit="示例科技有限公司", credit_code=CODE, seal_name="示例科技有限公司",
                   purpose="", holder_name=None, holder_id_type=None, holder_id=None, state="approved",
                   impression_id=1, entered_by="", entered_by_name="", submitted_at="")
PERSON = replace(UNIT, seal_kind="personal-name", unit="张伟", credit_code=None, seal_name="张伟",
                 holder_name="张伟", holder_id_type="resident-id", holder_id=ID)


@pytest.mark.parametrize("attrs, app, by", [
    ((("CN", "示例科技有限公司"), ("serialNumber", CODE)), UNIT, "serialNumber=%s (credit-code)" % CODE),
    ((("OU", f"统一社会信用代码:{CODE.lower()}"), ("CN", "x")), UNIT, "credit-code"),
    ((("O", "示例科技有限公司"), ("CN", "张三")), UNIT, "O=示例科技有限公司 (unit-name)"),
    ((("CN", "张伟"), ("serialNumber", f"SF{ID}")), PERSON, "holder-id"),
    ((("CN", "张伟"), ("O", "某公司")), PERSON, "CN=张伟 (holder-name)"),
])
def test_what_names_the_applicant(attrs, app, by):
    found = applicant_match(cert(*attrs), app)
    assert found is not None and by in str(found)


@pytest.mark.parametrize("attrs, app", [
    ((("CN", "华东贸易有限公司"), ("serialNumber", OTHER)), UNIT),  # another unit's card
    ((("O", "示例科技有限公司"), ("serialNumber", OTHER)), UNIT),  # right name, another unit's code
    ((("CN", "示例科技有限公司"),), UNIT),  # a CN is not an O
    ((("L", CODE), ("CN", "x")), UNIT),  # the code in an attribute that does not name a holder
    ((("CN", "李四"), ("O", "张伟")), PERSON),
    ((("CN", "示例科技有限公司"), ("serialNumber", CODE)), PERSON),  # a unit's card for a person
])
def test_a_card_of_someone_else_matches_nothing(attrs, app):
    assert applicant_match(cert(*attrs), app) is None
