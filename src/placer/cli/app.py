"""The ``placer`` command: registers one module per command."""

from __future__ import annotations

import typer

from placer import __version__
from placer.cli.catalog import app as catalog_app
from placer.cli.check import check
from placer.cli.export import export
from placer.cli.plan import plan
from placer.cli.replan import replan
from placer.cli.schema import schema

app = typer.Typer(
    name="placer",
    help="Decide where an AI or Apple build workload should run.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("plan")(plan)
app.command("check")(check)
app.command("replan")(replan)
app.command("export")(export)
app.command("schema")(schema)
app.add_typer(catalog_app, name="catalog")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"placer {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """placer plans training, inference and Apple build workloads across clouds, neoclouds, APIs and Macs."""


def main() -> None:
    app(prog_name="placer")
