"""The footer shows the focused pane's keys and is rebuilt only when they change."""

from __future__ import annotations

from textual.widgets._footer import FooterKey

from deskterm.widgets.footer import DeskFooter
from tests.tui.test_desk import wait_loaded


def footer_keys(app) -> list[tuple[str, str, bool]]:
    footer = app.screen.query_one(DeskFooter)
    return [(key.key, key.description, key.disabled) for key in footer.query(FooterKey)]


async def test_the_footer_follows_the_focused_pane_and_skips_rebuilds_that_change_nothing(
    desk_app, monkeypatch
) -> None:
    rebuilds: list[int] = []
    real_recompose = DeskFooter.recompose

    async def counting_recompose(self) -> None:  # type: ignore[no-untyped-def]
        rebuilds.append(1)
        await real_recompose(self)

    monkeypatch.setattr(DeskFooter, "recompose", counting_recompose)
    app = desk_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.pause()
        news = footer_keys(app)
        assert ("f", "Flag", False) in news
        await pilot.press("3")  # the board: its own keys
        await pilot.pause()
        board = footer_keys(app)
        assert board != news and not any(key == "f" for key, _d, _x in board)
        await pilot.press("1")
        await pilot.pause()
        assert footer_keys(app) == news
        before = len(rebuilds)
        for _ in range(3):  # the same keys again: nothing to rebuild
            app.screen.refresh_bindings()
            await pilot.pause()
        assert len(rebuilds) == before and footer_keys(app) == news
