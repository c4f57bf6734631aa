"""Every exception crypto defines derives from one base, so the station catches one."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import crypto
from crypto.errors import CryptoError


def _crypto_modules() -> list[str]:
    return [m.name for m in pkgutil.walk_packages(crypto.__path__, "crypto.")]


def _exceptions_defined_in(name: str) -> list[type[BaseException]]:
    module = importlib.import_module(name)
    return [obj for _, obj in inspect.getmembers(module, inspect.isclass)
            if issubclass(obj, BaseException) and obj.__module__ == name]


def test_the_walk_finds_the_crypto_modules() -> None:
    names = _crypto_modules()
    assert {"crypto.envelope", "crypto.receipt", "crypto.merkle", "crypto.algorithms",
            "crypto.seseal.errors", "crypto.seseal.der", "crypto.certs"} <= set(names)


@pytest.mark.parametrize("name", _crypto_modules())
def test_every_crypto_exception_derives_from_the_base(name: str) -> None:
    strays = [cls.__qualname__ for cls in _exceptions_defined_in(name) if not issubclass(cls, CryptoError)]
    assert strays == [], f"{name} defines exceptions outside CryptoError: {strays}"


def test_the_known_errors_are_crypto_errors() -> None:
    from crypto import envelope, merkle, receipt, seseal
    from crypto.algorithms import UnsupportedAlgorithm

    for cls in (seseal.SealFormatError, seseal.SealBuildError, envelope.EnvelopeError, receipt.ReceiptError,
                merkle.ProofError, UnsupportedAlgorithm):
        assert issubclass(cls, CryptoError)
    assert issubclass(CryptoError, ValueError)  # callers that treat bad input as ValueError still work


def test_malformed_input_raises_the_base() -> None:
    from crypto import receipt, seseal

    with pytest.raises(CryptoError):
        seseal.parse(b"\x30\x03\x02\x01\x05")
    with pytest.raises(CryptoError):
        receipt.decode("SSR1:not base45 !")
