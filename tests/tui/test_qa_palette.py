"""QA regressions on the command palette's desk commands."""

from __future__ import annotations

from deskterm.commands import DeskCommands
from tests.tui.test_desk import wait_loaded


async def test_palette_help_names_keys_as_the_footer_does(desk_app):
    """The palette said "key slash", "key question_mark", "key left_square_bracket":
    Textual's key names, not the keys a press secretary sees in the footer and help."""
    app = desk_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_loaded(pilot, app)
        helps = {title: help_text for title, help_text, _ in DeskCommands(app.screen)._commands()}
        assert helps["News: Filter"] == "key / in the News pane"
        assert helps["Calendar: Previous"] == "key [ in the Calendar pane"
        assert helps["Help"] == "key ?"
        assert helps["Theme"] == "key ^t"
        assert not any("slash" in h or "question_mark" in h for h in helps.values())
