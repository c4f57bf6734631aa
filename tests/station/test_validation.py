"""Validators: real codes accepted, every single-character change refused, and nothing
but InputError ever escapes (the form feeds them whatever the officer typed)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from station.errors import InputError
from station.validation import (
    IDENTITY_DOC_TYPES,
    SEAL_KINDS,
    UNIT_SEAL_KINDS,
    check_credit_code,
    check_identity,
    check_resident_id,
    check_seal_kind,
    check_seal_name,
    generate_credit_code,
    generate_resident_id,
    seal_kind_name,
)

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
ID_CHARS = "0123456789X"

# Real, public codes (from the companies' published business licences).
REAL_CREDIT_CODES = [
    "914403001922038216",  # 华为技术有限公司
    "91440300708461136T",  # 深圳市腾讯计算机系统有限公司
    "91110000802100433B",  # 北京百度网讯科技有限公司
    "91110108551385082Q",  # 小米科技有限责任公司
    "91350100M000100Y43",
]
# GB 11643-1999's own worked example.
STANDARD_ID = "11010519491231002X"


# --- independent oracles (written from the standards, not from the module) ---------------

def oracle_credit(code: str) -> bool:
    if len(code) != 18 or any(c not in ALPHABET for c in code):
        return False
    if code[1] == "0" or not code[2:8].isdigit():
        return False
    org = sum(int(c, 36) * w for c, w in zip(code[8:16], [3, 7, 9, 10, 5, 8, 4, 2]))
    if code[16] != {10: "X", 11: "0"}.get(11 - org % 11, str(11 - org % 11)):
        return False
    total = sum(ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(code[:17]))
    return code[17] == ALPHABET[(31 - total % 31) % 31]


def oracle_id(number: str) -> bool:
    if len(number) != 18 or not number[:17].isascii() or not number[:17].isdigit():
        return False
    provinces = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
                 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}
    if int(number[:2]) not in provinces:
        return False
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    if born.year < 1900 or born > date.today():
        return False
    total = sum(int(c) * (2 ** (17 - i) % 11) for i, c in enumerate(number[:17]))
    return number[17] == "10X98765432"[total % 11]


# --- credit codes -------------------------------------------------------------------------

@pytest.mark.parametrize("code", REAL_CREDIT_CODES)
def test_real_credit_codes_accepted(code: str) -> None:
    assert oracle_credit(code)
    assert check_credit_code(code) == code


def test_credit_code_normalised() -> None:
    assert check_credit_code("  91440300708461136t \n") == "91440300708461136T"
    # Full-width characters from a Chinese input method.
    assert check_credit_code("９１４４０３００７０８４６１１３６Ｔ") == "91440300708461136T"


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("9144030070846113", "18 characters"),
        ("91440300708461136TT", "18 characters"),
        ("", "18 characters"),
        ("91440300708461I36T", "position 15"),
        ("914403007084611360", "check digit is 0, expected T"),
        ("914403007084611366", "check digit"),
        ("91440300708461135T", "position 17"),
        ("9144A300708461136T", "positions 3-8"),
        ("90440300708461136T", "position 2"),
    ],
)
def test_bad_credit_codes_say_why(code: str, fragment: str) -> None:
    with pytest.raises(InputError) as err:
        check_credit_code(code)
    assert fragment in err.value.message
    assert err.value.exit_code == 2


def test_fake_code_from_brief_rejected() -> None:
    with pytest.raises(InputError, match="position 17"):
        check_credit_code("911100001000097514")


@settings(max_examples=300, deadline=None)
@given(
    body=st.text(ALPHABET, min_size=1, max_size=8),
    authority=st.sampled_from("123456789ANY"),
    org_type=st.sampled_from("123459"),
    division=st.integers(110000, 829999).map(str),
    pos=st.integers(0, 17),
    new=st.sampled_from(ALPHABET + "IOSVZa-? 中"),
)
def test_credit_code_single_change(body, authority, org_type, division, pos, new) -> None:
    code = generate_credit_code(body, authority=authority, org_type=org_type, division=division)
    assert oracle_credit(code) and check_credit_code(code) == code
    mutated = code[:pos] + new + code[pos + 1:]
    if mutated.upper() == code:
        assert check_credit_code(mutated) == code
    elif oracle_credit(mutated.upper()):  # never happens for one change, but do not assume
        assert check_credit_code(mutated) == mutated.upper()
    else:
        with pytest.raises(InputError):
            check_credit_code(mutated)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.text(ALPHABET, min_size=18, max_size=18), st.integers(), st.none()))
def test_credit_code_never_crashes(value) -> None:
    try:
        assert oracle_credit(check_credit_code(value))
    except InputError:
        pass


def test_generate_credit_code_int_seed() -> None:
    assert oracle_credit(generate_credit_code(12345))
    with pytest.raises(InputError):
        generate_credit_code("I0000000")


# --- resident ID --------------------------------------------------------------------------

def test_standard_example_id_accepted() -> None:
    assert oracle_id(STANDARD_ID)
    assert check_resident_id(STANDARD_ID) == STANDARD_ID
    assert check_resident_id(" 11010519491231002x ") == STANDARD_ID


@pytest.mark.parametrize(
    ("number", "fragment"),
    [
        ("440524188001010014", "before 1900"),  # the standard's other example: born 1880
        ("110105194912310021", "check digit is 1, expected X"),
        ("11010519491331002X", "real birth date"),
        ("11010519490229002X", "real birth date"),
        ("1101051949123100", "18 characters"),
        ("11010519491231A02X", "position 15"),
        ("99010519491231002X", "province"),
        ("11010519491231002Y", "last character"),
    ],
)
def test_bad_ids_say_why(number: str, fragment: str) -> None:
    with pytest.raises(InputError) as err:
        check_resident_id(number)
    assert fragment in err.value.message


def test_future_birth_rejected() -> None:
    tomorrow = date.today() + timedelta(days=1)
    first17 = f"110105{tomorrow:%Y%m%d}001"
    check = "10X98765432"[sum(int(c) * (2 ** (17 - i) % 11) for i, c in enumerate(first17)) % 11]
    with pytest.raises(InputError, match="future"):
        check_resident_id(first17 + check)
    assert check_resident_id(first17 + check, today=tomorrow) == first17 + check


@settings(max_examples=300, deadline=None)
@given(
    birth=st.dates(date(1900, 1, 1), date.today()),
    seq=st.integers(0, 999),
    pos=st.integers(0, 17),
    new=st.sampled_from(ID_CHARS + "x-A٣"),
)
def test_resident_id_single_change(birth, seq, pos, new) -> None:
    number = generate_resident_id(birth, sequence=seq)
    assert oracle_id(number)
    mutated = number[:pos] + new + number[pos + 1:]
    if mutated.upper() == number:
        assert check_resident_id(mutated) == number
    elif oracle_id(mutated):
        assert check_resident_id(mutated) == mutated
    else:
        with pytest.raises(InputError):
            check_resident_id(mutated)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.text(ID_CHARS, min_size=18, max_size=18), st.binary(), st.none()))
def test_resident_id_never_crashes(value) -> None:
    try:
        assert oracle_id(check_resident_id(value))
    except InputError:
        pass


# --- identity documents, seal kinds and names --------------------------------------------

def test_identity_documents() -> None:
    assert check_identity("resident-id", STANDARD_ID) == STANDARD_ID
    assert check_identity("passport", " e12345678 ") == "E12345678"
    assert check_identity("hk-macao-permit", "H1234567890") == "H1234567890"
    assert check_identity("taiwan-permit", "12345678") == "12345678"
    assert check_identity("other", "ab-12/34") == "ab-12/34"
    for bad in ("1234", "x" * 31, "E1234 5678", "E1234\x005678"):
        with pytest.raises(InputError):
            check_identity("passport", bad)
    with pytest.raises(InputError, match="unknown identity document type"):
        check_identity("driving-licence", "12345678")
    with pytest.raises(InputError):
        check_identity("resident-id", "11010519491231002Y")


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(IDENTITY_DOC_TYPES + ("bogus",)), st.one_of(st.text(), st.none(), st.integers()))
def test_identity_never_crashes(doc_type, value) -> None:
    try:
        result = check_identity(doc_type, value)
    except InputError:
        return
    assert 5 <= len(result) <= 30 and all(c.isprintable() and not c.isspace() for c in result)


def test_seal_kinds_and_names() -> None:
    assert UNIT_SEAL_KINDS == ("official", "department", "contract", "finance", "special")
    assert seal_kind_name("contract") == "合同专用章"
    assert seal_kind_name("finance", "en") == "Finance seal"
    assert all(check_seal_kind(k) == k for k in SEAL_KINDS)
    with pytest.raises(InputError):
        check_seal_kind("stamp")
    assert check_seal_name("  北京示例科技有限公司（有限合伙）合同专用章 ") == "北京示例科技有限公司（有限合伙）合同专用章"
    assert check_seal_name("x" * 64) == "x" * 64
    for bad in ("", "   ", "x" * 65, "a\tb", "a\u202eb", "a\u200bb", "a\nb"):
        with pytest.raises(InputError):
            check_seal_name(bad)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.none(), st.integers()))
def test_seal_name_never_crashes(value) -> None:
    try:
        result = check_seal_name(value)
    except InputError:
        return
    assert 1 <= len(result) <= 64
