"""The deskterm command line (contract in docs/architecture.md)."""

from deskterm.cli.main import main

__all__ = ["main"]
