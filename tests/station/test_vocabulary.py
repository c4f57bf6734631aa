"""One word per thing: a seal kind or a state has the same name on screen, PDF and CLI."""

from __future__ import annotations

import dataclasses

import pytest

from station.model import Application, Impression
from station.validation import PERSONAL_SEAL_KINDS, SEAL_KINDS, UNIT_SEAL_KINDS, seal_kind_name
from station.vocabulary import ApplicationState, ImpressionState, SealKind, SealType


def test_the_kinds_the_forms_accept_are_the_vocabulary() -> None:
    assert SEAL_KINDS == ("official", "department", "contract", "finance", "special", "personal-name",
                          "personal-signature")
    assert set(UNIT_SEAL_KINDS) | set(PERSONAL_SEAL_KINDS) == set(SEAL_KINDS)
    assert {SealKind(k).seal_type for k in PERSONAL_SEAL_KINDS} == {SealType.PERSONAL}
    assert {SealKind(k).seal_type for k in UNIT_SEAL_KINDS} == {SealType.UNIT}


def test_a_word_is_its_value_in_text_and_json() -> None:
    import json

    word = SealKind("special")
    assert f"{word}" == "special" and f"{word:<9}|" == "special  |" and word == "special"
    assert json.dumps({"kind": word, "state": ApplicationState.MADE}) == '{"kind": "special", "state": "made"}'
    assert word.name_in("zh_CN") == word.zh == "其他专用章" and word.name_in("en") == "Special-purpose seal"


def test_records_hold_words_not_loose_strings() -> None:
    app = Application(1, "special", "单位", None, "名", "用途", None, None, None, "approved", None, "ab", "王芳",
                      "2026-01-01T00:00:00Z")
    assert app.seal_kind is SealKind.SPECIAL and app.state is ApplicationState.APPROVED
    imp = Impression(1, "单位", "名", "personal-name", "destroyed", 20, 20, "a", "b", "2026", 1)
    assert imp.seal_kind is SealKind.PERSONAL_NAME and imp.state is ImpressionState.DESTROYED
    with pytest.raises(ValueError):
        dataclasses.replace(app, state="lost")  # not an application state


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (21, 21), "white").save(out, "PNG")
    return out.getvalue()


def _pdf_text(kind: str, tmp_path) -> tuple[dict[str, str], str]:  # type: ignore[no-untyped-def]
    """The label -> value rows the PDF receipt draws for a seal of ``kind``, and the PDF's text."""
    import subprocess

    from station.receipts import pdf as receipt_pdf
    from station.receipts.claims import IssuedSeal

    seal = IssuedSeal("DEMO-0001-2026-000001", "名", "单位", None, kind, "5f3d", "张三", "2026-11-22T02:17:12+00:00",
                      "2026-11-22T02:17:12+00:00", "王芳", ("李强",), 1, "DEMO-0001")
    path = tmp_path / "receipt.pdf"
    path.write_bytes(receipt_pdf.build(seal, _png(), None))
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return dict(receipt_pdf.rows(seal)), text


@pytest.mark.parametrize("kind", SEAL_KINDS)
def test_the_pdf_names_a_kind_as_the_screen_does(kind: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows, text = _pdf_text(kind, tmp_path)
    assert rows["印章类型 Type"] == f"{seal_kind_name(kind, 'zh')} ({kind})"
    assert f"{seal_kind_name(kind, 'zh')} ({kind})" in text  # drawn, not only listed
