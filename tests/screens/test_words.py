"""The screens name seal kinds and states with the station's vocabulary, in both languages."""

from __future__ import annotations

import pytest

from screens.i18n import LANGUAGES, Translator
from screens.library import kind_name
from station.vocabulary import ApplicationState, ImpressionState, SealKind


@pytest.mark.parametrize("lang", LANGUAGES)
def test_seal_kinds_on_screen_are_the_vocabulary(lang: str) -> None:
    tr = Translator(lang)
    for kind in SealKind:
        assert kind_name(tr, kind.value) == (kind.zh if lang == "zh_CN" else kind.en)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_state_translations_agree_with_the_vocabulary(lang: str) -> None:
    tr = Translator(lang)
    for prefix, words in (("apps.state", ApplicationState), ("impression.state", ImpressionState)):
        for word in words:
            assert tr(f"{prefix}.{word.value}") == word.name_in(lang), (prefix, word)
