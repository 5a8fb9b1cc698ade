"""`python -m deskterm`."""

from deskterm.entry import run

run()
