"""The desk asks Textual for 120 frames a second unless the user chose a rate."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

# What `deskterm` imports before it opens the desk, then the desk itself: Textual must not
# have read its frame rate (textual.screen) before prefer_desk_frame_rate() runs.
PROBE = """
import sys
import deskterm.cli.main, deskterm.cli.desk, deskterm.core.desk, deskterm.core.summary
assert "textual.screen" not in sys.modules, "Textual was imported before the desk"
deskterm.cli.desk.prefer_desk_frame_rate()
import deskterm.app, textual.screen
print(round(1 / textual.screen.UPDATE_PERIOD))
"""


@pytest.mark.parametrize(("preset", "expected"), [(None, "120"), ("30", "30")])
def test_the_desk_draws_at_120_fps_unless_the_user_set_a_rate(preset, expected) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TEXTUAL_FPS"}
    if preset is not None:
        env["TEXTUAL_FPS"] = preset
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == expected
