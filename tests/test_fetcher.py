"""The desk's fetch summaries and the high-priority announcement (no terminal needed)."""

from __future__ import annotations

from dataclasses import dataclass

from deskterm.fetcher import Progress, priority_alert, status_line, summary_line


@dataclass
class Summary:
    fetched: int = 0
    unchanged: int = 0
    failed: int = 0
    new_clips: int = 0


def test_summary_and_status_lines():
    assert summary_line(Summary(5, 1, 1, 12)) == (
        "fetched 7 feeds: 12 new clips, 1 unchanged, 1 failed (H: feed health)"
    )
    assert summary_line(Summary(1, 0, 0, 1)) == "fetched 1 feed: 1 new clip"
    assert status_line(Summary(5, 1, 1, 12), "09:30") == "fetched 09:30: 12 new, 1 failing (H)"
    assert status_line(Summary(2, 0, 0, 0), "09:30") == "fetched 09:30: 0 new"


def test_progress_text_is_one_safe_line():
    assert Progress(0, 0, "").text() == "fetching feeds…"
    assert Progress(2, 9, "KPAC\x1b[2J News\n").text() == "fetching 2/9 · KPAC\\x1b[2J News"


def test_priority_alert_one_by_one_then_summarised():
    assert priority_alert([]) is None
    assert priority_alert([(1, "Rent hearing", "Housing", 2)]) is None  # not priority 1
    few = [(1, "Levy vote Friday", "Budget", 1), (1, "Levy vote Friday", "Taxes", 1)]
    assert priority_alert(few) == "Budget: Levy vote Friday"  # a clip counts once
    many = [(i, f"Story {i}", "Budget" if i % 3 else "Housing", 1) for i in range(1, 8)]
    assert priority_alert(many) == "7 new high-priority clips: Budget (5), Housing (2)"
    hostile = [(9, "[b]Levy[/b]\x1b[31m", "Budget\n", 1)]
    assert priority_alert(hostile) == "Budget: [b]Levy[/b]\\x1b[31m"
