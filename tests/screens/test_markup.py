"""User strings are shown, never obeyed: a seal name, a card label or an error message
with Rich markup in it reaches the screen as the text that was typed."""

from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.text import Text

from screens.app import make_app
from screens.ceremony import CeremonyScreen
from screens.widgets.base import failure_text, plain_row
from station.demo_impressions import make_demo_impression
from station.errors import PolicyError
from station.images import normalise_impression
from station.making import Review, SealCardCheck

NAME = "示例[/b]公司 [reverse]x[/reverse] 合同章"


def _review() -> Review:
    picture = normalise_impression(make_demo_impression("示例公司", "official", size=120), seal_kind="official").png

    class _App:
        id, unit, seal_name, seal_kind = 7, "[b]示例公司", NAME, "official"
        credit_code, holder_id, holder_name = "91110108551385082Q", None, None

    class _Imp:
        width_mm = height_mm = 42

    start = datetime(2026, 11, 22, 9, 30, tzinfo=timezone.utc)
    end = datetime(2029, 11, 21, 9, 30, tzinfo=timezone.utc)
    card = SealCardCheck("3333cccc4444dddd", "[reverse]SEAL[/reverse]", "CN=[/b]示例公司", "CN=Demo CA", "5a3f09",
                         start, end, b"")
    return Review(_App(), _Imp(), picture, card, start, end)


async def test_the_review_shows_a_seal_name_with_markup_as_typed(demo_world):
    app = make_app(demo_world.home, lang="en", start_monitor=False)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = CeremonyScreen()
        await app.push_screen(screen)
        await pilot.pause()
        screen._show_review(_review())  # "[/b]" raised MarkupError here
        await pilot.pause()
        shown = str(screen.query_one("#cer-review").render())
        assert NAME in shown and "[b]示例公司" in shown and "[reverse]SEAL[/reverse]" in shown
        screen.fail(PolicyError(f"card 1 already holds {NAME}", reason="x"))
        await pilot.pause()
        assert NAME in str(screen.query_one("#cer-error").render())


def test_error_lines_and_table_cells_are_plain():
    from textual.content import Content

    text = failure_text(PolicyError(NAME, reason="x", hint="[/]"), markup=True)
    assert Content.from_markup(text).plain.endswith(f"{NAME}\n[/]")
    assert plain_row(NAME, 3) == (Text(NAME), Text("3"))


def test_translated_values_are_escaped(demo_world):
    from textual.content import Content

    from screens.i18n import Translator

    tr = Translator("en")
    assert NAME in Content.from_markup(tr("export.title", esid=NAME)).plain


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("[]\\/b@#=ab 公司\n\x1b"), max_size=24) | st.text(max_size=24))
def test_any_value_between_tags_comes_out_as_written(value: str):
    """A lone ``[`` (``公司 [ 2024``) or a trailing backslash once broke the template's next
    tag: Textual opens a tag at any unescaped ``[``."""
    from textual.content import Content

    from screens.text import escape
    from station.terminal import printable

    shown = Content.from_markup(f"[b]K[/b] {escape(value)} [i]t[/i]").plain.replace("\u2060", "")
    assert shown == f"K {printable(value)} t"
