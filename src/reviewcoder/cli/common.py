"""Shared pieces of the command line: one-line errors, the store option."""

from __future__ import annotations

import sys
from typing import NoReturn

import typer

from ..errors import ReviewcoderError


def fail(exc: BaseException | str) -> NoReturn:
    """Print a one-line error to stderr and exit 1."""
    message = str(exc).replace("\n", " ")
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def echo(text: str = "") -> None:
    typer.echo(text)


def warn(text: str) -> None:
    typer.echo(f"warning: {text}", err=True)


STORE_HELP = "Annotation store (SQLite file). Default: annotations/reviewcoder.sqlite"


def guarded(func):
    """Decorator for commands: a ReviewcoderError becomes a one-line message and exit code 1."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ReviewcoderError as exc:
            fail(exc)
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            sys.exit(130)

    return wrapper
