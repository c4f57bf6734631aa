"""Cards over PKCS#11 with SoftHSM: find by serial, PINs, removal and re-insertion, junk objects."""

from __future__ import annotations

import os
import shutil
import subprocess

import pkcs11
import pytest
from cryptography import x509
from pkcs11 import Attribute, CertificateType, ObjectClass
from pkcs11 import exceptions as px

from crypto.algorithms import verify_signature
from devices import softhsm
from devices.errors import CardRemoved, NoSuchCard, WrongPin
from devices.pkcs11 import _certificates
from station.demo import DEMO_PIN, DEMO_SO_PIN, issue_certificate, make_ca
from tests.helpers import DemoWorld


def _cn(der: bytes) -> str:
    return x509.load_der_x509_certificate(der).subject.rfc4514_string()


def test_card_found_by_serial(world: DemoWorld, module) -> None:
    officer = world.card("officer")
    card = module.card(officer.serial)
    assert (card.serial, card.label) == (officer.serial, officer.label)
    assert module.card(officer.serial) is card  # one object, one session per card
    info = module.info(officer.serial)
    assert info.label == officer.label and not info.pin_locked
    assert "Wang Fang" in _cn(info.certificate)  # the certificate reads without a PIN
    with pytest.raises(NoSuchCard):
        module.card("ffffffffffffffff")
    assert {t.serial for t in module.scan()} >= {c.serial for c in world.cards}


def test_wrong_pin_then_right_pin(world: DemoWorld, module) -> None:
    card = module.card(world.card("supervisor").serial)
    with pytest.raises(WrongPin):
        card.login("000000")
    assert not card.logged_in
    card.login(DEMO_PIN)
    assert card.logged_in
    signer = card.signer()
    signature = signer.sign(b"hello")
    assert verify_signature(signer.certificate, signer.algorithm, b"hello", signature)


def test_removed_card_is_noticed_and_comes_back(world: DemoWorld, module) -> None:
    serial = world.card("seal", 0).serial
    card = module.card(serial)
    card.login(DEMO_PIN)
    signer = card.signer()
    assert card.probe()
    signer.sign(b"before")

    softhsm.eject(world.conf, serial)
    assert card.probe() is False  # the first call after the removal sees it
    assert not card.logged_in
    with pytest.raises(CardRemoved):
        signer.sign(b"after")
    with pytest.raises(CardRemoved):
        card.ecdh_derive(b"\x04" + bytes(64))
    assert serial not in {t.serial for t in module.scan()}

    module.forget(serial)  # the card's session is closed: re-initialising is safe now
    softhsm.insert(world.conf, serial)
    assert serial in {t.serial for t in module.scan()}
    with pytest.raises(CardRemoved):  # an object from before the re-initialisation is stale
        signer.sign(b"stale")
    card = module.card(serial)
    card.login(DEMO_PIN)
    signer = card.signer()
    assert verify_signature(signer.certificate, signer.algorithm, b"again", signer.sign(b"again"))


def test_sign_on_an_ejected_card_without_probe(world: DemoWorld, module) -> None:
    serial = world.card("seal", 1).serial
    card = module.card(serial)
    card.login(DEMO_PIN)
    signer = card.signer()
    softhsm.eject(world.conf, serial)
    with pytest.raises(CardRemoved):
        signer.sign(b"data")
    assert card.probe() is False


def test_scan_while_a_card_is_logged_in_keeps_its_session(world: DemoWorld, module) -> None:
    officer, seal = world.card("officer"), world.card("seal", 4)
    card = module.card(officer.serial)
    card.login(DEMO_PIN)
    softhsm.eject(world.conf, seal.serial)
    listed = {t.serial for t in module.scan(fresh=True)}
    assert seal.serial not in listed  # another card's removal shows while one is logged in ...
    assert officer.serial in listed
    assert card.probe() and card.logged_in  # ... and the logged-in card keeps its login
    signer = card.signer()
    signer.sign(b"still here")
    softhsm.insert(world.conf, seal.serial)
    assert seal.serial in {t.serial for t in module.scan(fresh=True)}  # so does an insertion
    assert card.logged_in
    assert verify_signature(signer.certificate, signer.algorithm, b"after", signer.sign(b"after"))
    assert module.card(seal.serial).label == seal.label  # an untouched card opens as before


def test_a_pulled_card_lets_the_others_be_found(world: DemoWorld, module) -> None:
    officer, seal, other = world.card("officer"), world.card("seal", 4), world.card("supervisor")
    card = module.card(officer.serial)
    card.login(DEMO_PIN)
    softhsm.eject(world.conf, seal.serial)
    assert module.card(other.serial).label == other.label  # not "not in a reader"
    softhsm.insert(world.conf, seal.serial)
    module.scan(fresh=True)
    assert module.card(other.serial).label == other.label
    assert card.logged_in


def test_no_re_initialisation_between_scans_while_logged_in(world: DemoWorld, module) -> None:
    card = module.card(world.card("officer").serial)
    card.login(DEMO_PIN)
    module.scan(fresh=True)
    generation = module.generation
    module.scan()  # within the interval: the open cards are probed, nothing re-initialised
    assert module.generation == generation and card.logged_in


def _pkcs11_tool_slots(conf) -> str:
    proc = subprocess.run(["pkcs11-tool", "--module", softhsm.find_module(), "--list-slots"],
                          env=dict(os.environ, SOFTHSM2_CONF=str(conf)), capture_output=True,
                          text=True, check=True, stdin=subprocess.DEVNULL)
    return proc.stdout


def _slot_fields(listing: str) -> list[dict[str, str]]:
    slots: list[dict[str, str]] = []
    for line in listing.splitlines():
        if line.startswith("Slot "):
            slots.append({})
        elif ":" in line and slots:
            key, value = line.split(":", 1)
            slots[-1][key.strip()] = value.strip()
    return slots


def test_pkcs11_tool_sees_the_demo_cards(world: DemoWorld) -> None:
    seen = {s.get("serial num"): s.get("token label") for s in _slot_fields(_pkcs11_tool_slots(world.conf))}
    for c in world.cards:
        assert seen.get(c.serial) == c.label


def test_junk_objects_do_not_break_reading_a_card(world: DemoWorld, module) -> None:
    made = softhsm.provision(world.conf, [softhsm.TokenSpec("JUNK-01", DEMO_PIN, DEMO_SO_PIN)])[0]
    try:
        slots = _slot_fields(_pkcs11_tool_slots(world.conf))  # an independent reader agrees
        assert {"token label": "JUNK-01", "serial num": made.serial}.items() <= next(
            s for s in slots if s.get("serial num") == made.serial).items()

        assert made.serial in {t.serial for t in module.scan()}
        ca_key, ca_der = make_ca("Junk Test CA")
        der = issue_certificate(ca_key, ca_der, made.public_key, cn="Junk Holder", org="Junk Org")
        cert = x509.load_der_x509_certificate(der)
        token = pkcs11.lib(module.path).get_token(token_serial=made.serial.encode())
        with token.open(rw=True, user_pin=DEMO_PIN) as session:
            with pytest.raises(px.TemplateIncomplete):  # a certificate without CKA_SUBJECT
                session.create_object({
                    Attribute.CLASS: ObjectClass.CERTIFICATE,
                    Attribute.CERTIFICATE_TYPE: CertificateType.X_509, Attribute.TOKEN: True,
                    Attribute.ID: made.key_id, Attribute.LABEL: "half-made",
                    Attribute.ISSUER: cert.issuer.public_bytes(), Attribute.VALUE: der})
            with pytest.raises(px.PKCS11Error):  # and one with nothing but its class
                session.create_object({
                    Attribute.CLASS: ObjectClass.CERTIFICATE,
                    Attribute.CERTIFICATE_TYPE: CertificateType.X_509, Attribute.TOKEN: True,
                    Attribute.ID: made.key_id})
            junk = list(session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE}))
            assert junk, "SoftHSM was expected to keep the half-made objects"
            assert all(e.der == der for e in _certificates(session))

        info = {t.serial: t for t in module.scan()}[made.serial]  # a card with only junk
        assert info.label == "JUNK-01" and info.certificate in (None, der)

        softhsm.import_certificates(world.conf, [(made.serial, DEMO_PIN, made.key_id, der)])
        info = {t.serial: t for t in module.scan()}[made.serial]
        assert info.certificate == der
        card = module.card(made.serial)
        card.login(DEMO_PIN)
        assert card.certificate == der
        signer = card.signer()
        assert verify_signature(der, signer.algorithm, b"junk-proof", signer.sign(b"junk-proof"))
    finally:
        module.forget(made.serial)
        folder = softhsm.token_folder(world.conf, made.serial)
        if folder is not None:
            shutil.rmtree(folder)
        module.scan()
    assert made.serial not in {t.serial for t in module.scan()}


def test_a_card_the_module_did_not_see_at_start_is_found_while_another_is_logged_in(world: DemoWorld,
                                                                                      module) -> None:
    """SoftHSM lists only the tokens it read when it initialised; a token another process was
    writing then stays hidden. Looking a card up reads the tokens again, and the logged-in
    card stays logged in (its PIN is in memory), so a `make` started beside another one on
    the same card sees the card and is refused by the store, never "not in a reader"."""
    officer, seal = world.card("officer"), world.card("seal", 4)
    softhsm.eject(world.conf, seal.serial)
    try:
        module.scan(fresh=True)  # the library now knows no such token
        card = module.card(officer.serial)
        card.login(DEMO_PIN)
    finally:
        softhsm.insert(world.conf, seal.serial)  # no scan after it: only the lookup can find it
    try:
        assert module.card(seal.serial).label == seal.label
        assert card.logged_in
        signer = card.signer()
        assert verify_signature(signer.certificate, signer.algorithm, b"after", signer.sign(b"after"))
    finally:
        module.forget(officer.serial)
