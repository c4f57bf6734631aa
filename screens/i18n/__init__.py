"""Every user-visible string, in zh_CN and en. The default comes from the locale."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from screens.text import escape

__all__ = ["LANGUAGES", "Translator", "default_language", "kind_name"]

LANGUAGES = ("zh_CN", "en")


@lru_cache(maxsize=None)
def _table(lang: str) -> dict[str, str]:
    """``<lang>.json`` plus every ``<lang>.<feature>.json`` (one file per feature)."""
    folder = Path(__file__).parent
    table: dict[str, str] = {}
    for path in [folder / f"{lang}.json", *sorted(folder.glob(f"{lang}.*.json"))]:
        table.update(json.loads(path.read_text(encoding="utf-8")))
    return table


def default_language() -> str:
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var, "")
        if value:
            return "zh_CN" if value.lower().startswith("zh") else "en"
    return "en"


class Translator:
    """``t(key, **values)``; a missing key shows itself, so gaps are visible in tests.

    Chinese has no plural; English keys with a count have a ``.one`` twin for n = 1.
    """

    def __init__(self, lang: str | None = None) -> None:
        self.lang = lang if lang in LANGUAGES else default_language()

    def __call__(self, key: str, **values: Any) -> str:
        """A count ``n`` of 1 takes ``<key>.one`` where a language has it ("1 try left")."""
        if values.get("n") == 1 and f"{key}.one" in _table(self.lang):
            key = f"{key}.one"
        text = self._text(key) or key
        # the values are user data (seal names, units, card labels, messages) and every
        # text goes to a widget that reads markup: escaped, "[/b]" is shown, never obeyed,
        # and so is a terminal control (a card label, a seal's name: station.terminal)
        return text.format(**{k: escape(v) for k, v in values.items()}) if values else text

    def label(self, key: str, value: object) -> str:
        """``Label: value`` with the language's colon (Chinese uses the full-width ``：``)."""
        return self("fmt.label", label=self(key), value=value)

    def _text(self, key: str) -> str:
        return _table(self.lang).get(key) or _table("en").get(key) or ""

    def toggle(self) -> str:
        self.lang = "en" if self.lang == "zh_CN" else "zh_CN"
        return self.lang


def kind_name(tr: Translator, kind: str) -> str:
    """A seal kind in the UI language (names from station.validation); unknown kinds as they are."""
    from station.errors import StationError
    from station.validation import seal_kind_name

    try:
        return seal_kind_name(kind, "zh" if tr.lang == "zh_CN" else "en")
    except StationError:
        return kind
