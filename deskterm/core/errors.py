"""Errors the domain layer raises for a user to read (one line each)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class InputError(ValueError):
    """Bad input from a user or a file: shown as one line, exit code 2 on the command line.

    ``field`` names the form field at fault, so a form can show the message beside it.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


class InputErrors(InputError):
    """Several fields at fault at once, so that one save shows every field's error (a form
    shows each at its field). One line as well: the messages joined, the first field's."""

    def __init__(self, errors: list[InputError]) -> None:
        self.errors: tuple[InputError, ...] = tuple(
            one for error in errors for one in getattr(error, "errors", (error,))
        )
        super().__init__("; ".join(str(error) for error in self.errors), field=self.errors[0].field)


class Checks:
    """Run a form's field checks one after another, keeping each ``InputError`` instead of
    stopping at the first; ``done()`` raises them all (``InputErrors``), or the one."""

    def __init__(self) -> None:
        self.errors: list[InputError] = []

    def check(self, read: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """``read(*args, **kwargs)``, or None when it refused the input (kept for ``done``)."""
        try:
            return read(*args, **kwargs)
        except InputError as error:
            self.errors.append(error)
            return None

    def done(self) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise InputErrors(self.errors)
