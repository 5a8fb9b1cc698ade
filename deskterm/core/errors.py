"""Errors the domain layer raises for a user to read (one line each)."""

from __future__ import annotations


class InputError(ValueError):
    """Bad input from a user or a file: shown as one line, exit code 2 on the command line.

    ``field`` names the form field at fault, so a form can show the message beside it.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)
