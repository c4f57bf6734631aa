"""A ready demo world: SoftHSM cards, a demo CA, an initialised station, sample data.

Every seal card's certificate names the unit (by its credit code) or the person (by ID
number) of a sample application, as a real CA's would: a seal is made only for the
applicant its card names (station/binding.py). Two cards belong to one unit, so a seal
can be renewed onto a second card. Every card gets the documented demo PIN; the demo exists to be tried at a counter, so
its PINs are printed (and shown on the lock screen while the station is a demo). A real
station never has them: its cards come from its CA with their own PINs.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from station.errors import StateError
from station.home import Home
from station.model import Role
from station.status import DEMO_MARKER, DEMO_PIN, DEMO_SO_PIN

__all__ = ["DemoCard", "DemoWorldInfo", "Owner", "build_demo", "build_demo_world", "DEMO_PIN", "DEMO_SO_PIN",
           "make_ca", "issue_certificate"]

STATION_ID = "DEMO-0001"
_MARKER_TEXT = "This station is a demo world; every card PIN is the demo PIN.\n"


@dataclass(frozen=True)
class Owner:
    """Whom a demo seal card's certificate names: a unit (name, credit code) or a person."""

    name: str
    code: str  # the unit's credit code or the person's ID number
    personal: bool = False


def _owners() -> dict[str, Owner]:
    from station.validation import generate_credit_code, generate_resident_id

    return {"示例": Owner("示例科技有限公司", generate_credit_code(10001)),
            "华东": Owner("华东贸易有限公司", generate_credit_code(20002)),
            "星河": Owner("星河建设集团有限公司", generate_credit_code(30003)),
            "张伟": Owner("张伟", generate_resident_id(sequence=123), personal=True),
            "过期": Owner("过期证书有限公司", generate_credit_code(40004)),
            "未知": Owner("未知机构有限公司", generate_credit_code(50005))}


# role, label, common name, organisation (people); role, label, owner key (seal cards)
_PEOPLE = [
    ("admin", "ADMIN-01", "赵敏 Zhao Min", "示范印章管理局"),
    ("officer", "OFFICER-01", "王芳 Wang Fang", "示范印章管理局"),
    ("supervisor", "SUPERVISOR-01", "李强 Li Qiang", "示范印章管理局"),
    ("supervisor", "SUPERVISOR-02", "陈静 Chen Jing", "示范印章管理局"),
    ("auditor", "AUDITOR-01", "刘洋 Liu Yang", "示范印章管理局"),
]
_SEALS = [("seal", "SEAL-01", "示例"), ("seal", "SEAL-02", "示例"), ("seal", "SEAL-03", "张伟"),
          ("seal", "SEAL-04", "华东"), ("seal", "SEAL-05", "星河"),
          ("seal-expired", "SEAL-EXPIRED", "过期"), ("seal-untrusted", "SEAL-UNTRUSTED", "未知")]


@dataclass(frozen=True)
class DemoCard:
    role: str
    label: str
    serial: str
    pin: str
    so_pin: str = ""
    owner: Owner | None = None  # seal cards: whom the certificate names

    def applicant(self) -> dict[str, str]:
        """``demo --json``'s fields for a seal card: unit/credit_code or holder/holder_id."""
        if self.owner is None:
            return {}
        if self.owner.personal:
            return {"holder": self.owner.name, "holder_id": self.owner.code}
        return {"unit": self.owner.name, "credit_code": self.owner.code}


def make_ca(name: str, *, days: int = 3650) -> tuple[Any, bytes]:
    """A software CA (EC P-256): (private key, certificate DER)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
                         x509.NameAttribute(NameOID.COMMON_NAME, name)])
    start = datetime.now(timezone.utc) - timedelta(days=1)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                           critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert.public_bytes(Encoding.DER)


def issue_certificate(ca_key: Any, ca_der: bytes, public_key_der: bytes, *, cn: str, org: str,
                      not_before: datetime | None = None, not_after: datetime | None = None,
                      serial_number: str | None = None) -> bytes:
    """An end-entity certificate for a card key: signature, non-repudiation, key agreement;
    ``serial_number`` (a credit code or an ID number) goes into the subject's serialNumber."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding, load_der_public_key
    from cryptography.x509.oid import NameOID

    ca = x509.load_der_x509_certificate(ca_der)
    public = load_der_public_key(public_key_der)
    start = not_before or datetime.now(timezone.utc) - timedelta(days=1)
    end = not_after or start + timedelta(days=3 * 365)
    is_ec = isinstance(public, ec.EllipticCurvePublicKey)
    usage = x509.KeyUsage(True, True, not is_ec, False, is_ec, False, False, False, False)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                                     x509.NameAttribute(NameOID.ORGANIZATION_NAME, org)]
                                    + ([x509.NameAttribute(NameOID.SERIAL_NUMBER, serial_number)]
                                       if serial_number else [])
                                    + [x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
            .issuer_name(ca.subject).public_key(public)  # type: ignore[arg-type]
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage, critical=True)
            .sign(ca_key, hashes.SHA256()))
    return cert.public_bytes(Encoding.DER)


def _pem(der: bytes) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    return x509.load_der_x509_certificate(der).public_bytes(Encoding.PEM)


def softhsm_conf_for(home: Home) -> Path:
    env = os.environ.get("SOFTHSM2_CONF")
    if env and Path(env).exists():  # not one inside the home that --force just removed
        return Path(env)
    from devices import softhsm

    return softhsm.write_config(home.path)


@dataclass(frozen=True)
class DemoWorldInfo:
    """What ``demo --json`` prints: a demo shows its secrets, the recovery code included."""

    cards: list[DemoCard]
    conf: Path
    recovery_code: str


def build_demo(home: Home, *, force: bool = False) -> tuple[list[DemoCard], Path]:
    """Create the demo world in ``home``; returns the cards and the softhsm2.conf used."""
    info = build_demo_world(home, force=force)
    return info.cards, info.conf


def build_demo_world(home: Home, *, force: bool = False) -> DemoWorldInfo:
    """Create the demo world in ``home``; returns its cards, softhsm2.conf and recovery code."""
    from devices import softhsm
    from station import setup

    marker = home.path / DEMO_MARKER
    if home.path.is_symlink() or (home.path.exists() and not home.path.is_dir()):
        raise StateError(f"{home.path} is not a folder", hint="name a folder for the demo world")
    if home.initialised() or (home.path.exists() and any(home.path.iterdir())):
        if not force:
            raise StateError(f"{home.path} is not empty", hint="use --force to rebuild the demo world")
        if not marker.is_file() or marker.is_symlink():  # --force deletes a demo world, nothing else
            raise StateError(f"{home.path} is not a demo world (no {DEMO_MARKER} file): not deleted",
                             hint="use an empty folder for the demo")
        shutil.rmtree(home.path)
    home.path.mkdir(mode=0o700, parents=True, exist_ok=True)
    marker.write_text(_MARKER_TEXT)  # first: a demo that stops half-way can still be rebuilt
    conf = softhsm_conf_for(home)
    os.environ["SOFTHSM2_CONF"] = str(conf)
    module = softhsm.find_module()

    from station.pin_policy import DEMO_CA_NAME

    ca_key, ca_der = make_ca(DEMO_CA_NAME)
    rogue_key, rogue_der = make_ca("未受信任的认证中心 Rogue CA")
    owners = _owners()
    rows = [(role, label, cn, org, None) for role, label, cn, org in _PEOPLE]
    rows += [(role, label, owners[key].name, owners[key].name, owners[key]) for role, label, key in _SEALS]
    made = softhsm.provision(conf, [softhsm.TokenSpec(label, DEMO_PIN, DEMO_SO_PIN)
                                    for _, label, _, _, _ in rows], module)
    now = datetime.now(timezone.utc)
    certs = []
    for (role, label, cn, org, owner), tok in zip(rows, made):
        ca = (rogue_key, rogue_der) if role == "seal-untrusted" else (ca_key, ca_der)
        when = ({"not_before": now - timedelta(days=800), "not_after": now - timedelta(days=35)}
                if role == "seal-expired" else {})
        der = issue_certificate(*ca, tok.public_key, cn=cn, org=org, serial_number=owner.code if owner else None,
                                **when)
        certs.append((tok.serial, DEMO_PIN, tok.key_id, der))
    softhsm.import_certificates(conf, certs, module)

    ca_file = home.path / "demo-ca.pem"
    ca_file.write_bytes(_pem(ca_der))
    code = setup.init_station(home, module=module, trust=[ca_file], station_id=STATION_ID)
    cards = [DemoCard(role, label, tok.serial, DEMO_PIN, DEMO_SO_PIN, owner)
             for (role, label, _, _, owner), tok in zip(rows, made)]
    admin = next(c for c in cards if c.role == "admin")
    setup.enroll(home, role=Role.ADMIN, serial=admin.serial, pin=DEMO_PIN, recovery_code=lambda: code)
    from station.session import login

    session = login(home, admin.serial, DEMO_PIN, role=Role.ADMIN)
    try:
        for c in cards:
            if c.role in ("officer", "supervisor", "auditor"):
                setup.enroll(home, role=Role(c.role), serial=c.serial, pin=DEMO_PIN, by=session)
        _sample_data(session, cards)
    finally:
        session.close()
    marker.write_text(_MARKER_TEXT)
    return DemoWorldInfo(cards, conf, code)


def _sample_data(session: Any, cards: list[DemoCard]) -> None:
    """Four sample applications: two approved (active impressions), one waiting, one returned.

    The demo is built in an administrator's session, who may neither enter nor decide;
    so the demo officer enters them and the first demo supervisor decides, each with their
    own card, as at a real counter.
    """
    from station.applications import approve, check_form, reject, submit
    from station.audit import Audit
    from station.demo_impressions import make_demo_impression
    from station.images import normalise_impression
    from station.session import login

    officer = next(c for c in cards if c.role == "officer")
    supervisor = next(c for c in cards if c.role == "supervisor")
    o = _owners()  # the same units and person the seal cards name
    samples = [  # (form, impression text, decision)
        (dict(seal_kind="official", unit=o["示例"].name, credit_code=o["示例"].code,
              seal_name="示例科技有限公司", purpose="对外签署合同与公文"), "示例科技有限公司", "approve"),
        (dict(seal_kind="personal-name", holder_name=o["张伟"].name, holder_id=o["张伟"].code,
              seal_name="张伟", purpose="个人签署"), "张伟", "approve"),
        (dict(seal_kind="contract", unit=o["华东"].name, credit_code=o["华东"].code,
              seal_name="华东贸易有限公司合同专用章", purpose="签订购销合同"), "华东贸易有限公司", None),
        (dict(seal_kind="finance", unit=o["星河"].name, credit_code=o["星河"].code,
              seal_name="星河建设集团有限公司财务专用章", purpose="财务结算"), "星河建设集团有限公司",
         "印模图像不清晰，请重新扫描后再申请"),
    ]
    entered: list[tuple[int, str | None]] = []
    desk = login(session.home, officer.serial, officer.pin, role=Role.OFFICER)
    try:
        for fields, text, decision in samples:
            form = check_form(**fields)
            image = normalise_impression(make_demo_impression(text, form.seal_kind, size=320),
                                         seal_kind=form.seal_kind)
            entered.append((submit(desk, form, image).id, decision))
    finally:
        desk.close()
    boss = login(session.home, supervisor.serial, supervisor.pin, role=Role.SUPERVISOR)
    try:
        for app_id, decision in entered:
            if decision == "approve":
                approve(boss, app_id)
            elif decision:
                reject(boss, app_id, decision)
    finally:
        boss.close()
    session.audit = Audit(session.store)  # the other sessions appended to the log meanwhile
