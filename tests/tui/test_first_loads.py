"""The panes' first loads land together (``deskterm/widgets/first_loads.py``)."""

from __future__ import annotations

import threading
import time

from deskterm.widgets.board_pane import BoardPane
from deskterm.widgets.first_loads import FirstLoads
from deskterm.widgets.pane import Pane
from tests.tui.test_desk import wait_loaded


class Pump:
    """Stands in for a pane: records what is posted to it."""

    def __init__(self) -> None:
        self.posted: list[object] = []

    def post_message(self, message: object) -> bool:
        self.posted.append(message)
        return True


def test_answers_are_held_until_every_pane_has_answered():
    gate = FirstLoads(["news", "board"])
    news, board = Pump(), Pump()
    gate.arrive("news", news, "news rows")
    assert news.posted == []
    gate.arrive("board", board, "board rows")
    assert (news.posted, board.posted) == (["news rows"], ["board rows"])
    assert gate.released


def test_a_second_answer_from_one_pane_replaces_the_first_held():
    gate = FirstLoads(["news", "board"])
    news, board = Pump(), Pump()
    gate.arrive("news", news, "old")
    gate.arrive("news", news, "new")
    gate.arrive("board", board, "rows")
    assert news.posted == ["new"]


def test_release_posts_what_is_held_and_then_each_answer_as_it_comes():
    gate = FirstLoads(["news", "board", "calendar"])
    news, board = Pump(), Pump()
    gate.arrive("news", news, "news rows")
    gate.release()
    assert news.posted == ["news rows"]
    gate.arrive("board", board, "board rows")
    assert board.posted == ["board rows"]
    gate.release()  # again: nothing held, nothing posted twice
    assert news.posted == ["news rows"]


def test_answers_from_many_threads_are_each_posted_once():
    ids = [f"pane{n}" for n in range(16)]
    gate = FirstLoads(ids)
    pumps = {pane_id: Pump() for pane_id in ids}
    start = threading.Barrier(len(ids))

    def answer(pane_id: str) -> None:
        start.wait()
        gate.arrive(pane_id, pumps[pane_id], pane_id)

    threads = [threading.Thread(target=answer, args=(pane_id,)) for pane_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {pane_id: pump.posted for pane_id, pump in pumps.items()} == {i: [i] for i in ids}


def slow_board(monkeypatch, seconds: float) -> None:
    load = BoardPane.load

    def slow(self, context):  # type: ignore[no-untyped-def]
        time.sleep(seconds)
        return load(self, context)

    monkeypatch.setattr(BoardPane, "load", slow)


async def test_the_panes_show_their_rows_together(desk_app, monkeypatch):
    """News, Requests and Calendar wait for a Board that takes 0.3 s, then all four
    show their rows at once (one frame, not four)."""
    slow_board(monkeypatch, 0.3)
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.15)
        panes = list(app.screen.query(Pane))
        assert [p.id for p in panes if p.loaded_once] == []
        assert all(not p.table.rows_shown for p in panes)
        await wait_loaded(pilot, app)
        assert all(p.table.rows_shown for p in panes if p.id != "board")


async def test_a_slow_pane_holds_the_others_back_only_so_long(desk_app, monkeypatch):
    monkeypatch.setattr("deskterm.screens.dashboard.FIRST_LOADS_WAIT_S", 0.1)
    slow_board(monkeypatch, 0.8)
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.5)
        loaded = {p.id for p in app.screen.query(Pane) if p.loaded_once}
        assert loaded == {"news", "requests", "calendar"}
        await wait_loaded(pilot, app)


async def test_no_frame_shows_some_panes_with_rows_and_others_without(desk_app, monkeypatch):
    """Every frame drawn as the desk starts shows either no pane's rows yet or all four."""
    slow_board(monkeypatch, 0.2)
    app = desk_app()
    seen: list[frozenset[str]] = []
    display = app._display

    def recording(screen, renderable):  # type: ignore[no-untyped-def]
        panes = list(screen.query(Pane))
        seen.append(frozenset(p.id for p in panes if p.table.rows_shown))
        return display(screen, renderable)

    monkeypatch.setattr(app, "_display", recording)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.pause(0.1)
    everything = frozenset({"news", "requests", "board", "calendar"})
    assert everything in seen
    assert set(seen) <= {frozenset(), everything}
