"""In the TUI too, a card label or a seal's name with terminal escapes in it is drawn with
the escapes written out: in the card list, in a translated message, on the verify screen,
in an error toast."""

from __future__ import annotations

from types import SimpleNamespace

from screens.app import make_app
from screens.verify import VerifyScreen
from screens.widgets.cards import CardTable
from station.errors import InputError
from station.model import CardState, CardView, Role
from tests.screens.pilot import until
from tests.station.test_terminal import HOSTILE

OBEYED = "\x1b\x07\x9b\u202e"


def _clean(text: str) -> bool:
    return not any(c in text for c in OBEYED)


async def test_hostile_text_is_drawn_never_obeyed_in_every_place_it_shows(demo_world):
    card = CardView("9999aaaa0000bbbb", HOSTILE, CardState.AUTHORIZATION, f"CN={HOSTILE},C=CN", Role.OFFICER,
                    False, None)
    blank = CardView("8888cccc1111dddd", HOSTILE, CardState.BLANK, f"CN={HOSTILE},C=CN", None, False, None)
    app = make_app(demo_world.home, lang="en", start_monitor=False)
    async with app.run_test(size=(160, 40)) as pilot:
        app.apply_cards([card, blank])
        await pilot.pause()
        line = str(app.screen.query_one(CardTable).options.get_option_at_index(0).prompt)
        assert _clean(line) and "\\x1b[1A" in line
        said = app.tr("pin.title", label=HOSTILE)
        assert _clean(said) and "\\x1b" in said

        screen = VerifyScreen()
        await app.push_screen(screen)
        await pilot.pause()
        shown = str(screen.query_one("#verify-cards").get_option_at_index(0).prompt)
        assert _clean(shown) and "8888cccc1111dddd" in shown
        screen.show(SimpleNamespace(valid=False, kind="seal-file", signer=HOSTILE, name=HOSTILE, time="", method="",
                                    status="", problems=(HOSTILE,), warnings=()))
        await pilot.pause()
        verdict = str(screen.query_one("#verify-result").render())
        assert "NOT VALID" in verdict and _clean(verdict) and verdict.count("\\x1b[1A") == 3

        app.show_error(InputError(f"seal file {HOSTILE} is malformed", title=HOSTILE))
        await until(pilot, lambda: bool(app._notifications))
        toast = next(iter(app._notifications))
        assert _clean(toast.message + toast.title) and "\\x1b" in toast.message
