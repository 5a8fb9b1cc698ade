"""``DeskModal``: the base of the desk's modal screens (forms, pickers, the prompt, the
conflict view), so that the help key works over them.

Textual cuts the app's bindings out of a modal screen's key chain (only the app's priority
bindings, such as tab, still run there), so ``?`` did nothing over a form or the conflict
view and was not in their footers. The two bindings below send the help key to the app
from the modal screen itself:

- ``f1`` always: no field types it. The footer shows it.
- ``?`` wherever the focused widget does not type it: Textual leaves a binding out of the
  chain when the focused widget consumes its key (an ``Input``, a ``TextArea``, a ``Select``
  that searches as you type), so a reporter's question still ends with "?".

The full screens get the same keys from the app (``DeskApp.BINDINGS``). Help over help
closes it (``HelpScreen``'s own keys, and ``DeskApp.action_help``).
"""

from __future__ import annotations

from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.screen import ModalScreen, ScreenResultType

from deskterm.screens.help import HelpScreen


class DeskModal(ModalScreen[ScreenResultType]):
    BINDINGS = [
        Binding("f1", "app.help", "Help"),
        Binding("question_mark", "app.help", "Help", show=False),
    ]

    def dismiss(self, result: ScreenResultType | None = None) -> AwaitComplete:
        """Textual's ``dismiss`` pops the top screen, whichever it is: a save that lands
        while help is open over this screen (ctrl+s, then f1 at once) would close help and
        leave the saved form open. Help goes first."""
        if self.is_attached and isinstance(self.app.screen, HelpScreen):
            stack = self.app.screen_stack
            if len(stack) > 1 and stack[-2] is self:
                self.app.pop_screen()
        return super().dismiss(result)
