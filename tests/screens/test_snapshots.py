"""Snapshots of the main screens, with fixed card lists so they do not depend on the
random serials of the demo world."""

from __future__ import annotations

from dataclasses import dataclass

from screens.app import make_app
from screens.home import HomeScreen
from station.model import Actor, CardState, CardView, Role

CARDS = [
    CardView("1111aaaa2222bbbb", "OFFICER-01", CardState.AUTHORIZATION, "CN=王芳 Wang Fang,O=示范印章管理局,C=CN",
             Role.OFFICER, False, None),
    CardView("3333cccc4444dddd", "SEAL-01", CardState.BLANK, "CN=示例科技有限公司,O=示例科技有限公司,C=CN",
             None, False, None),
    CardView("5555eeee6666ffff", "SUPERVISOR-01", CardState.AUTHORIZATION, "CN=李强 Li Qiang,O=示范印章管理局,C=CN",
             Role.SUPERVISOR, True, None),
]


@dataclass
class _SessionView:
    """Only what the home screen renders: the actor. (Login itself is Pilot-tested.)"""

    actor: Actor

    def close(self, reason: str = "") -> None:
        pass


def test_lock_screen(snap_compare, demo_world):
    app = make_app(demo_world.home, lang="en", start_monitor=False)

    async def run_before(pilot):
        app.apply_cards(CARDS)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 30), run_before=run_before)


def test_home_screen(snap_compare, demo_world):
    app = make_app(demo_world.home, lang="zh_CN", start_monitor=False)

    async def run_before(pilot):
        app.apply_cards(CARDS)
        app.session = _SessionView(Actor("00" * 32, "王芳 Wang Fang", Role.OFFICER, "1111aaaa2222bbbb"))
        await app.push_screen(HomeScreen())
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 30), run_before=run_before)
