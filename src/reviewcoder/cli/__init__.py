"""The `reviewcoder` command: parse, call one library function, format. The only layer that prints.

Each area registers its commands from its own module (core, classify, evaluate, sync).
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="reviewcoder",
    help="Theme-code child safeguarding review texts: codebook, pre-coding with evidence, doccano sync, agreement.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_AREAS = ("core", "classify", "evaluate", "sync", "exchange")


def _register_all() -> None:
    for area in _AREAS:
        name = f"{__name__}.{area}"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # that area is not part of this build
                continue
            raise
        module.register(app)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Print the version and exit.", is_eager=True),
) -> None:
    if version:
        from .. import __version__

        typer.echo(__version__)
        raise typer.Exit()


_register_all()


def main() -> None:
    app()
