"""deskterm benchmarks: `make bench` (``python -m bench``); see ``bench/__main__.py``.

The Pilot benchmarks (board, requests, calendar view) run the desk's panes in this
process, so they ask Textual for the desk's frame rate before anything imports Textual,
as ``deskterm`` itself does (``deskterm.cli.desk.prefer_desk_frame_rate``). Programs the
benchmarks start in tmux do not inherit it (``startup.desk_env``): the desk sets its own,
the bare app runs at Textual's default.
"""

from deskterm.cli.desk import prefer_desk_frame_rate

prefer_desk_frame_rate()
