"""The command palette's desk commands, built from the live bindings of every pane."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode

from deskterm.widgets.pane import Pane


def _described(node: DOMNode) -> Iterator[Binding]:
    for binding in node._bindings.key_to_bindings.values():
        for item in binding:
            if item.description:
                yield item


class DeskCommands(Provider):
    """Every action of the desk: pane actions (run with that pane focused), screen and app."""

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        screen = self.screen
        seen: set[str] = set()
        commands: list[tuple[str, str, Callable[[], object]]] = []

        def add(title: str, help_text: str, callback: Callable[[], object]) -> None:
            if title not in seen:
                seen.add(title)
                commands.append((title, help_text, callback))

        for pane in screen.query(Pane):
            for binding in _described(pane):
                add(
                    f"{pane.TITLE}: {binding.description}",
                    f"key {self.app.get_key_display(binding)} in the {pane.TITLE} pane",
                    partial(self._run_on_pane, pane, binding.action),
                )
        for node in (screen, self.app):
            for binding in _described(node):
                add(
                    binding.description,
                    f"key {self.app.get_key_display(binding)}",
                    partial(node.run_action, binding.action),
                )
        return commands

    async def _run_on_pane(self, pane: Pane, action: str) -> None:
        pane.focus_table()
        await pane.run_action(action)

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, text=title, help=help_text)
