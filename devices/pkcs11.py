"""Cards over PKCS#11 (python-pkcs11): find by serial, log in, sign, derive, data objects.

One :class:`Module` per PKCS#11 library. Every call into the library goes through the
module's lock: python-pkcs11 sessions are not safe to share across threads, and the TUI
polls for cards from one thread while a worker signs in another.

SoftHSM only sees tokens added to its directory after the library is re-initialised,
and re-initialising closes every session. :meth:`Module.scan` re-initialises freely
while no card is logged in. While one is, it probes the open cards (a moved-out SoftHSM
token shows as an invalid object handle on the next call) and re-initialises only every
:attr:`Module.relogin_interval` seconds, logging the open cards back in with the PIN
their holder gave (kept in memory for the session's life, never written). A card that
cannot be logged back in (pulled meanwhile) is reported gone, as a probe would. Nothing
is re-initialised during a login (:meth:`Module.hold`). Real card readers report
insertions without any of this, so the same code serves both.
"""

from __future__ import annotations

import hashlib
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import pkcs11
from pkcs11 import Attribute, CertificateType, KeyType, Mechanism, ObjectClass, TokenFlag
from pkcs11 import exceptions as px
from pkcs11.util.ec import encode_ecdsa_signature

from devices.errors import (
    CardRemoved,
    CardUnusable,
    DeviceError,
    ModuleProblem,
    NoSuchCard,
    PinLocked,
    PinRejected,
    WrongPin,
)

__all__ = ["Module", "Card", "CardSigner", "TokenInfo", "CertificateEntry", "open_module"]

ECDSA_SHA256 = "1.2.840.10045.4.3.2"
RSA_SHA256 = "1.2.840.113549.1.1.11"
SM2_SM3 = "1.2.156.10197.1.501"

_REMOVED = (px.DeviceRemoved, px.TokenNotPresent, px.SessionHandleInvalid, px.SessionClosed,
            px.ObjectHandleInvalid, px.KeyHandleInvalid, px.DeviceError, px.GeneralError,
            px.SlotIDInvalid, px.TokenNotRecognised)


# A token another process is writing to (SoftHSM rewrites its files) can look absent or
# uninitialised for a moment: such answers are asked again this often, this far apart.
_SETTLE_TRIES = 8
_SETTLE_PAUSE = 0.1
_TRANSIENT = (px.UserPinNotInitialized, px.TokenNotRecognised, px.GeneralError)


@dataclass(frozen=True)
class CertificateEntry:
    """A certificate on a card and the CKA_ID that pairs it with its key."""

    key_id: bytes
    label: str
    der: bytes


@dataclass(frozen=True)
class TokenInfo:
    """What a reader shows of a token without a PIN."""

    serial: str
    label: str
    manufacturer: str
    model: str
    pin_count_low: bool
    pin_final_try: bool
    pin_locked: bool
    pin_to_be_changed: bool
    certificates: tuple[CertificateEntry, ...]
    data_labels: tuple[str, ...]

    @property
    def certificate(self) -> bytes | None:
        """The card's main certificate: the first one found."""
        return self.certificates[0].der if self.certificates else None


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value).strip()


class Module:
    """A loaded PKCS#11 library and the cards opened through it."""

    relogin_interval = 2.0  # seconds between re-initialisations while a card is logged in

    def __init__(self, path: str) -> None:
        try:
            self._lib = pkcs11.lib(path)
        except Exception as exc:  # the C loader raises several kinds
            raise ModuleProblem(f"cannot load PKCS#11 module {path}: {exc}") from exc
        self.path = path
        self.lock = threading.RLock()
        self._cards: dict[str, Card] = {}
        self._last: list[TokenInfo] = []
        self._holds = 0
        self._rereading = False
        self.generation = 0
        self._reinit_at = 0.0

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Keep the module from re-initialising during a multi-call sequence (a login)."""
        with self.lock:
            self._holds += 1
        try:
            yield
        finally:
            with self.lock:
                self._holds -= 1

    # -- discovery -------------------------------------------------------------
    def _logged_in(self) -> bool:
        return any(c.logged_in for c in self._cards.values())

    def scan(self, *, fresh: bool = False) -> list[TokenInfo]:
        """Tokens present now. Re-initialises the library when that is safe (see module doc);
        ``fresh`` asks for it now rather than at the next interval (a person pressed refresh)."""
        with self.lock:
            logged = {s: c for s, c in self._cards.items() if c.logged_in}
            due = fresh or time.monotonic() - self._reinit_at >= self.relogin_interval
            if self._holds or (logged and (not due or any(c._pin is None for c in logged.values()))):
                alive = {s for s, c in logged.items() if c.probe()}
                return [t for t in self._last if t.serial not in set(logged) - alive]
            self._reinitialize()
            self._last = list(self._read_tokens())
            present = {t.serial for t in self._last}
            for serial, card in logged.items():
                if serial not in present or not card._reopen():
                    self._cards.pop(serial, None)
            return list(self._last)

    def _reinitialize(self) -> None:
        for card in self._cards.values():
            card._invalidate()
        try:
            self._lib.reinitialize()
        except Exception as exc:
            raise ModuleProblem(f"PKCS#11 module failed to initialise: {exc}") from exc
        self.generation += 1
        self._reinit_at = time.monotonic()

    def _read_tokens(self) -> Iterator[TokenInfo]:
        try:
            slots = self._lib.get_slots(token_present=True)
        except px.PKCS11Error:
            return
        for slot in slots:
            try:
                token = slot.get_token()
                if not token.flags & TokenFlag.TOKEN_INITIALIZED:
                    continue
                yield self._token_info(token)
            except px.PKCS11Error:
                continue  # a token that vanished mid-scan

    def _token_info(self, token: pkcs11.Token) -> TokenInfo:
        flags = TokenFlag(token.flags)
        certs: tuple[CertificateEntry, ...] = ()
        labels: tuple[str, ...] = ()
        try:
            with token.open() as session:
                certs = tuple(_certificates(session))
                labels = tuple(_data_labels(session))
        except px.PKCS11Error:
            pass
        return TokenInfo(
            serial=_text(token.serial),
            label=_text(token.label),
            manufacturer=_text(token.manufacturer_id),
            model=_text(token.model),
            pin_count_low=bool(flags & TokenFlag.USER_PIN_COUNT_LOW),
            pin_final_try=bool(flags & TokenFlag.USER_PIN_FINAL_TRY),
            pin_locked=bool(flags & TokenFlag.USER_PIN_LOCKED),
            pin_to_be_changed=bool(flags & TokenFlag.USER_PIN_TO_BE_CHANGED),
            certificates=certs,
            data_labels=labels,
        )

    def _find_token(self, serial: str) -> pkcs11.Token:
        """The token by serial; a slot whose token was pulled does not hide the others.

        A token another process is writing to can be missing from one listing (SoftHSM
        re-reads its files): look again, briefly, before saying it is absent."""
        for attempt in range(_SETTLE_TRIES):
            try:
                slots = self._lib.get_slots(token_present=True)
            except px.PKCS11Error as exc:
                if attempt == _SETTLE_TRIES - 1:
                    raise NoSuchCard(serial) from exc
            else:
                for slot in slots:
                    try:
                        token = slot.get_token()
                    except px.PKCS11Error:
                        continue
                    if _text(token.serial) == serial:
                        return token
            time.sleep(_SETTLE_PAUSE)
            self._reread()
        raise NoSuchCard(serial)

    def _reread(self) -> None:
        """Re-initialise so the library reads its tokens again (SoftHSM keeps the tokens it
        found at initialisation: one another process was writing then stays hidden). It runs
        before the card looked for is found, so even inside a held sequence nothing found is
        lost: logged-in cards are logged back in with their PINs (not at all when a
        logged-in card's PIN is not known)."""
        logged = {s: c for s, c in self._cards.items() if c.logged_in}
        if self._rereading or any(c._pin is None for c in logged.values()):
            return
        self._rereading = True  # a card logging back in looks itself up: no second round
        try:
            self._reinitialize()
            for serial, card in logged.items():
                if not card._reopen():
                    self._cards.pop(serial, None)
        except ModuleProblem:
            return
        finally:
            self._rereading = False

    def info(self, serial: str) -> TokenInfo:
        """Fresh information on one token (no PIN needed)."""
        with self.lock:
            return self._token_info(self._find_token(serial))

    def card(self, serial: str) -> "Card":
        """The card with this serial; one object (and one session) per card."""
        with self.lock:
            card = self._cards.get(serial)
            if card is None or card.generation != self.generation:
                card = Card(self, self._find_token(serial))
                self._cards[serial] = card
            return card

    def forget(self, serial: str) -> None:
        """Close the card's session (logout) and drop it."""
        with self.lock:
            card = self._cards.pop(serial, None)
            if card is not None:
                card.close()


_MODULES: dict[str, Module] = {}
_MODULES_LOCK = threading.Lock()


def open_module(path: str) -> Module:
    """The process-wide :class:`Module` for a library path (a library loads once)."""
    with _MODULES_LOCK:
        module = _MODULES.get(path)
        if module is None:
            module = _MODULES[path] = Module(path)
        return module


def _certificates(session: pkcs11.Session) -> Iterator[CertificateEntry]:
    """Certificates on a card, tolerating half-made junk objects (SoftHSM keeps them)."""
    for obj in list(session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE})):
        try:
            if obj[Attribute.CERTIFICATE_TYPE] != CertificateType.X_509:
                continue
            der = bytes(obj[Attribute.VALUE])
            if not der:
                continue
            key_id = bytes(obj[Attribute.ID])
            label = _text(obj[Attribute.LABEL])
        except px.PKCS11Error:
            continue
        yield CertificateEntry(key_id=key_id, label=label, der=der)


def _data_labels(session: pkcs11.Session) -> Iterator[str]:
    for obj in list(session.get_objects({Attribute.CLASS: ObjectClass.DATA})):
        try:
            yield _text(obj[Attribute.LABEL])
        except px.PKCS11Error:
            continue


class Card:
    """One token: a session opened once and reused; login, keys, data objects."""

    def __init__(self, module: Module, token: pkcs11.Token) -> None:
        self.module = module
        self.generation = module.generation
        self._token = token
        self.serial = _text(token.serial)
        self.label = _text(token.label)
        self._session: pkcs11.Session | None = None
        self.logged_in = False
        self._key: Any = None
        self._cert: CertificateEntry | None = None
        self._probe_handle: Any = None
        self._pin: str | None = None  # to log back in after the module re-initialises

    # -- session ---------------------------------------------------------------
    def _invalidate(self) -> None:
        self._session = None
        self.logged_in = False
        self._key = None

    def _call(self, fn: Callable[[], Any], *, retry: bool = True) -> Any:
        """Run ``fn`` on the card, its errors as device errors. ``retry``: ``fn`` may run
        again when the token looked unsettled (another process rewriting it)."""
        with self.module.lock:
            if self.generation != self.module.generation:
                raise CardRemoved(f"card {self.serial} must be opened again")
            try:
                for attempt in range(_SETTLE_TRIES if retry else 1):
                    try:
                        return fn()
                    except _TRANSIENT:
                        if attempt == (_SETTLE_TRIES if retry else 1) - 1:
                            raise
                        time.sleep(_SETTLE_PAUSE)
            except px.PinIncorrect as exc:
                raise WrongPin(None) from exc
            except px.PinLocked as exc:
                raise PinLocked("the card's PIN is locked") from exc
            except (px.PinInvalid, px.PinLenRange, px.PinTooWeak) as exc:
                raise PinRejected("the card does not accept this PIN") from exc
            except _REMOVED as exc:
                self._invalidate()
                raise CardRemoved(f"card {self.serial} was removed") from exc
            except px.PKCS11Error as exc:
                raise CardUnusable(f"card {self.serial}: {type(exc).__name__}") from exc

    def _open(self, pin: str | None = None) -> pkcs11.Session:
        if self._session is None:
            self._session = self._token.open(rw=True, user_pin=pin)
            self.logged_in = pin is not None
        return self._session

    def flags(self) -> TokenFlag:
        """The token's current flags (PIN counters among them)."""
        return self._call(lambda: TokenFlag(self.module._find_token(self.serial).flags))

    def login(self, pin: str) -> None:
        """Log in with the user PIN; maps the token's answer to a device error."""

        def do() -> None:
            if self.logged_in:
                return
            if self._session is not None:
                self._session.close()
                self._session = None
            self._open(pin)

        try:
            self._call(do)
        except WrongPin:
            flags = self.flags()
            if flags & TokenFlag.USER_PIN_LOCKED:
                raise PinLocked("the card's PIN is locked") from None
            raise WrongPin(1 if flags & TokenFlag.USER_PIN_FINAL_TRY else None) from None
        self._cert, self._key = self._call(self._pair)
        self._pin = pin

    def _reopen(self) -> bool:
        """After a re-initialisation: the same card, logged in again with its PIN."""
        pin = self._pin
        try:
            self._token = self.module._find_token(self.serial)
            self.generation = self.module.generation
            self._open(pin)
            self._cert, self._key = self._pair()
            return True
        except (px.PKCS11Error, DeviceError):
            self.close()
            return False

    def change_pin(self, old: str, new: str) -> None:
        """C_SetPIN on the logged-in session."""
        self._call(lambda: self._open().set_pin(old, new))
        self._pin = new

    def _pair(self) -> tuple[CertificateEntry, Any]:
        session = self._open()
        for cert in list(_certificates(session)):
            try:
                key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, id=cert.key_id)
            except (px.NoSuchKey, px.MultipleObjectsReturned):
                continue
            self._probe_handle = next(iter(session.get_objects(
                {Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.ID: cert.key_id})), None)
            return cert, key
        raise CardUnusable(f"card {self.serial} holds no certificate with a matching private key")

    def close(self) -> None:
        with self.module.lock:
            if self._session is not None:
                try:
                    self._session.close()
                except px.PKCS11Error:
                    pass
            self._invalidate()
            self._pin = None

    def probe(self) -> bool:
        """True while the card is still there (cheap: one attribute read)."""
        with self.module.lock:
            if self._session is None or self._probe_handle is None:
                return self._session is not None
            try:
                self._probe_handle[Attribute.ID]
                return True
            except px.PKCS11Error:
                self._invalidate()
                return False

    # -- keys ------------------------------------------------------------------
    @property
    def certificate(self) -> bytes:
        if self._cert is None:
            raise CardUnusable(f"card {self.serial} is not logged in")
        return self._cert.der

    def _live_key(self) -> Any:
        """The private key handle, or CardRemoved once the session is gone (pulled or closed)."""
        if self._key is None:
            raise CardRemoved(f"card {self.serial} was removed or logged out")
        return self._key

    @property
    def key_type(self) -> KeyType:
        return self._call(lambda: self._live_key().key_type)

    def signer(self, sm2_mechanism: int | None = None) -> "CardSigner":
        """A Signer (crypto.algorithms.Signer) backed by this card's key."""
        with self.module.lock:  # not halfway through a re-initialisation's log-in
            if self._key is None:
                raise CardUnusable(f"card {self.serial} is not logged in")
        return CardSigner(self, sm2_mechanism)

    def ecdh_derive(self, peer_point: bytes) -> bytes:
        """CKM_ECDH1_DERIVE (KDF null) with the card key: the raw shared secret."""

        def do() -> bytes:
            secret = self._live_key().derive_key(
                KeyType.GENERIC_SECRET, 256,
                mechanism_param=(pkcs11.KDF.NULL, None, peer_point),
                template={Attribute.SENSITIVE: False, Attribute.EXTRACTABLE: True,
                          Attribute.TOKEN: False},
            )
            try:
                return bytes(secret[Attribute.VALUE])
            finally:
                secret.destroy()

        return self._call(do)

    def rsa_decrypt(self, data: bytes) -> bytes:
        """RSA-OAEP (SHA-256, MGF1-SHA-256) with the card key."""
        param = (Mechanism.SHA256, pkcs11.MGF.SHA256, None)
        return self._call(lambda: self._live_key().decrypt(
            data, mechanism=Mechanism.RSA_PKCS_OAEP, mechanism_param=param))

    def random(self, n: int) -> bytes:
        return self._call(lambda: self._open().generate_random(n * 8))

    # -- data objects ----------------------------------------------------------
    def _data(self, label: str) -> list[Any]:
        return list(self._open().get_objects({Attribute.CLASS: ObjectClass.DATA,
                                              Attribute.LABEL: label}))

    def read_data(self, label: str) -> bytes | None:
        """The value of the first data object with this label, or None."""

        def once() -> bytes | None:
            for obj in self._data(label):
                try:
                    return bytes(obj[Attribute.VALUE])
                except px.AttributeSensitive:
                    continue
            return None

        def do() -> bytes | None:
            for _ in range(_SETTLE_TRIES):  # another process may be replacing the object
                try:
                    return once()
                except px.ObjectHandleInvalid:
                    continue
                except _TRANSIENT:
                    time.sleep(_SETTLE_PAUSE)
            return once()

        return self._call(do)

    def write_data(self, label: str, application: str, value: bytes, *,
                   private: bool = True, modifiable: bool = False) -> None:
        self._call(lambda: self._open().create_object({
            Attribute.CLASS: ObjectClass.DATA, Attribute.TOKEN: True,
            Attribute.PRIVATE: private, Attribute.MODIFIABLE: modifiable,
            Attribute.LABEL: label, Attribute.APPLICATION: application,
            Attribute.VALUE: value,
        }), retry=False)  # written once: the caller reads it back

    def replace_data(self, label: str, application: str, value: bytes, *, private: bool = True) -> None:
        """Write a new data object, then remove the older ones with this label: a crash in
        between leaves the old value or both, never none."""

        def do() -> None:
            session = self._open()
            old = self._data_settled(label)
            session.create_object({
                Attribute.CLASS: ObjectClass.DATA, Attribute.TOKEN: True, Attribute.PRIVATE: private,
                Attribute.MODIFIABLE: False, Attribute.LABEL: label, Attribute.APPLICATION: application,
                Attribute.VALUE: value,
            })
            for obj in old:
                try:
                    obj.destroy()
                except px.ObjectHandleInvalid:
                    pass  # another process replaced it first

        self._call(do)

    def _data_settled(self, label: str) -> list[Any]:
        """The data objects with this label, found again if another process removes one
        while they are being listed."""
        for _ in range(4):
            try:
                return self._data(label)
            except px.ObjectHandleInvalid:
                continue
        return self._data(label)

    def delete_data(self, label: str) -> int:
        """Remove every data object with this label; returns how many."""

        def do() -> int:
            objs = self._data(label)
            for obj in objs:
                obj.destroy()
            return len(objs)

        return self._call(do)


class CardSigner:
    """Signs with a card key; satisfies ``crypto.algorithms.Signer`` by shape."""

    def __init__(self, card: Card, sm2_mechanism: int | None) -> None:
        self._card = card
        self._sm2 = sm2_mechanism
        self.certificate = card.certificate
        kt = card.key_type
        if kt == KeyType.EC:
            self.algorithm = SM2_SM3 if sm2_mechanism is not None else ECDSA_SHA256
        elif kt == KeyType.RSA:
            self.algorithm = RSA_SHA256
        else:
            raise CardUnusable(f"card {card.serial}: key type {kt!r} cannot sign seals")

    def sign(self, data: bytes, *, pss: bool = False) -> bytes:
        key = self._card._live_key  # looked up inside each locked call: handles change on re-initialisation
        if self.algorithm == ECDSA_SHA256:
            digest = hashlib.sha256(data).digest()  # SoftHSM signs with raw CKM_ECDSA
            raw = self._card._call(lambda: key().sign(digest, mechanism=Mechanism.ECDSA))
            return encode_ecdsa_signature(raw)
        if self.algorithm == RSA_SHA256:
            if pss:
                param = (Mechanism.SHA256, pkcs11.MGF.SHA256, 32)
                return self._card._call(lambda: key().sign(
                    data, mechanism=Mechanism.SHA256_RSA_PKCS_PSS, mechanism_param=param))
            return self._card._call(lambda: key().sign(data, mechanism=Mechanism.SHA256_RSA_PKCS))
        # SM2 through the vendor mechanism named in station.toml: the card hashes (Z||M).
        raw = self._card._call(lambda: key().sign(data, mechanism=self._sm2))
        return encode_ecdsa_signature(raw) if len(raw) == 64 else raw


def is_device_error(exc: BaseException) -> bool:
    return isinstance(exc, DeviceError)


def unblock(module: Module, serial: str, so_pin: str, new_pin: str) -> None:
    """C_InitPIN as the security officer: a new user PIN for a locked card."""
    with module.lock:
        token = module._find_token(serial)
        try:
            with token.open(rw=True, so_pin=so_pin, user_type=pkcs11.UserType.SO) as session:
                session.init_pin(new_pin)
        except px.PinIncorrect as exc:
            raise WrongPin(None) from exc
        except px.PinLocked as exc:
            raise PinLocked("the SO PIN is locked too") from exc
        except (px.PinInvalid, px.PinLenRange) as exc:
            raise PinRejected("the card does not accept this PIN") from exc
