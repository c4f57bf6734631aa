"""SoftHSM2: the embedded default card device, provisioned for the demo and the tests.

python-pkcs11 has no C_InitToken, and softhsm2-util wants PINs on the command line or
a terminal. Provisioning therefore runs in a child process (``python -m
devices.softhsm``) that reads its orders, PINs included, as JSON on standard input:
no PIN reaches argv, and the parent's own module instance is never re-initialised
behind its back.

Insertion and removal in tests and in the demo: a token is a folder in the token
directory; :func:`eject` moves it out to a shelf beside it, :func:`insert` moves it back.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

__all__ = [
    "DEFAULT_MODULE",
    "find_module",
    "write_config",
    "TokenSpec",
    "Provisioned",
    "provision",
    "import_certificates",
    "token_folder",
    "eject",
    "insert",
]

_CANDIDATES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
)
DEFAULT_MODULE = _CANDIDATES[0]


def find_module() -> str:
    """Path of libsofthsm2.so on this machine (Debian's package first)."""
    for path in _CANDIDATES:
        if os.path.exists(path):
            return path
    return DEFAULT_MODULE


def write_config(home: Path) -> Path:
    """A softhsm2.conf whose token directory lives under ``home``; returns its path."""
    tokens = home / "softhsm" / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    (home / "softhsm" / "shelf").mkdir(exist_ok=True)
    conf = home / "softhsm" / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {tokens}\n"
        "objectstore.backend = file\n"
        "log.level = ERROR\n"
        "slots.removable = true\n",
        encoding="utf-8",
    )
    return conf


@dataclass(frozen=True)
class TokenSpec:
    """One token to create: label, PINs and the key to generate on it."""

    label: str
    pin: str
    so_pin: str
    key: str = "ec"  # "ec" (P-256) or "rsa" (2048)


@dataclass(frozen=True)
class Provisioned:
    label: str
    serial: str
    public_key: bytes  # SubjectPublicKeyInfo DER
    key_id: bytes


def _child(orders: dict[str, Any], conf: Path, module: str) -> Any:
    env = dict(os.environ, SOFTHSM2_CONF=str(conf))
    proc = subprocess.run(
        [sys.executable, "-m", "devices.softhsm", module],
        input=json.dumps(orders), capture_output=True, text=True, env=env, check=False,
    )
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines()  # the child's last line says why; no traceback
        raise RuntimeError(f"SoftHSM provisioning failed: {lines[-1] if lines else proc.returncode}")
    return json.loads(proc.stdout)


def provision(conf: Path, specs: Sequence[TokenSpec], module: str | None = None) -> list[Provisioned]:
    """Create tokens with a key pair each; the caller issues their certificates."""
    orders = {"op": "provision", "tokens": [s.__dict__ for s in specs]}
    out = _child(orders, conf, module or find_module())
    return [Provisioned(o["label"], o["serial"], bytes.fromhex(o["public_key"]),
                        bytes.fromhex(o["key_id"])) for o in out]


def import_certificates(conf: Path, items: Sequence[tuple[str, str, bytes, bytes]],
                        module: str | None = None) -> None:
    """Write certificates onto tokens: (serial, pin, key_id, certificate DER) each."""
    orders = {"op": "certs", "items": [
        {"serial": s, "pin": p, "key_id": k.hex(), "cert": c.hex()} for s, p, k, c in items]}
    _child(orders, conf, module or find_module())


def token_folder(conf: Path, serial: str) -> Path | None:
    """SoftHSM names a token's folder after a UUID ending in its serial."""
    tokens = _tokendir(conf)
    for entry in tokens.iterdir():
        if entry.is_dir() and entry.name.replace("-", "").endswith(serial):
            return entry
    return None


def _tokendir(conf: Path) -> Path:
    for line in conf.read_text(encoding="utf-8").splitlines():
        if line.strip().startswith("directories.tokendir"):
            return Path(line.split("=", 1)[1].strip())
    raise ValueError(f"{conf} names no token directory")


def eject(conf: Path, serial: str) -> None:
    """Take a card out of the reader (move its folder to the shelf)."""
    folder = token_folder(conf, serial)
    if folder is None:
        raise FileNotFoundError(serial)
    shelf = _tokendir(conf).parent / "shelf"
    shelf.mkdir(exist_ok=True)
    shutil.move(str(folder), str(shelf / folder.name))


def insert(conf: Path, serial: str) -> None:
    """Put a card back (move its folder from the shelf into the token directory)."""
    shelf = _tokendir(conf).parent / "shelf"
    for entry in shelf.iterdir():
        if entry.name.replace("-", "").endswith(serial):
            shutil.move(str(entry), str(_tokendir(conf) / entry.name))
            return
    raise FileNotFoundError(serial)


# -- the child process ------------------------------------------------------------------
def _init_token(module: str, slot_id: int, label: str, so_pin: str) -> None:
    """C_InitToken through ctypes on the library python-pkcs11 already initialised."""
    lib = ctypes.CDLL(module)
    so = so_pin.encode()
    raw_label = label.encode("utf-8")[:32].ljust(32, b" ")
    rv = lib.C_InitToken(ctypes.c_ulong(slot_id), so, ctypes.c_ulong(len(so)), raw_label)
    if rv != 0:
        raise RuntimeError(f"C_InitToken failed: 0x{rv:x}")


def _run_child(module: str) -> None:
    import pkcs11
    from pkcs11 import Attribute, KeyType, ObjectClass, UserType
    from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters
    from pkcs11.util.rsa import encode_rsa_public_key

    orders = json.load(sys.stdin)
    lib = pkcs11.lib(module)
    out: list[dict[str, str]] = []
    if orders["op"] == "provision":
        for spec in orders["tokens"]:
            lib.reinitialize()
            tokens = [sl.get_token() for sl in lib.get_slots(token_present=True)]
            free = [t for t in tokens if not t.flags & pkcs11.TokenFlag.TOKEN_INITIALIZED]
            before = {t.serial for t in tokens} - {t.serial for t in free}
            _init_token(module, free[0].slot.slot_id, spec["label"], spec["so_pin"])
            lib.reinitialize()
            # the new token is the one whose serial is new: labels need not be unique
            # (a token directory may still hold an earlier world's cards)
            token = next(t for t in (sl.get_token() for sl in lib.get_slots(token_present=True))
                         if t.flags & pkcs11.TokenFlag.TOKEN_INITIALIZED and t.serial not in before)
            with token.open(rw=True, so_pin=spec["so_pin"], user_type=UserType.SO) as so:
                so.init_pin(spec["pin"])
            key_id = os.urandom(8)
            with token.open(rw=True, user_pin=spec["pin"]) as session:
                if spec["key"] == "rsa":
                    pub, _ = session.generate_keypair(
                        KeyType.RSA, 2048, store=True, id=key_id, label=spec["label"])
                    spki = _rsa_spki(encode_rsa_public_key(pub))
                else:
                    params = session.create_domain_parameters(KeyType.EC, {
                        Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")},
                        local=True)
                    pub, _ = params.generate_keypair(store=True, id=key_id, label=spec["label"])
                    spki = encode_ec_public_key(pub)
            out.append({"label": spec["label"], "serial": token.serial.decode().strip(),
                        "public_key": spki.hex(), "key_id": key_id.hex()})
    elif orders["op"] == "certs":
        from cryptography import x509

        for item in orders["items"]:
            token = lib.get_token(token_serial=item["serial"].encode())
            der = bytes.fromhex(item["cert"])
            cert = x509.load_der_x509_certificate(der)
            with token.open(rw=True, user_pin=item["pin"]) as session:
                session.create_object({
                    Attribute.CLASS: ObjectClass.CERTIFICATE,
                    Attribute.CERTIFICATE_TYPE: pkcs11.CertificateType.X_509,
                    Attribute.TOKEN: True, Attribute.PRIVATE: False,
                    Attribute.ID: bytes.fromhex(item["key_id"]),
                    Attribute.LABEL: token.label.strip() if isinstance(token.label, str) else "cert",
                    Attribute.SUBJECT: cert.subject.public_bytes(),
                    Attribute.ISSUER: cert.issuer.public_bytes(),
                    Attribute.SERIAL_NUMBER: _der_integer(cert.serial_number),
                    Attribute.VALUE: der,
                })
    json.dump(out, sys.stdout)


def _der_integer(n: int) -> bytes:
    body = n.to_bytes((n.bit_length() + 8) // 8 or 1, "big")
    return bytes([0x02, len(body)]) + body


def _rsa_spki(pkcs1: bytes) -> bytes:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_der_public_key(_wrap_rsa(pkcs1))
    return key.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def _wrap_rsa(pkcs1: bytes) -> bytes:
    from asn1crypto import keys

    return keys.PublicKeyInfo({
        "algorithm": {"algorithm": "rsa"},
        "public_key": keys.RSAPublicKey.load(pkcs1),
    }).dump()


if __name__ == "__main__":
    _run_child(sys.argv[1] if len(sys.argv) > 1 else find_module())
