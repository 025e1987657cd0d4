"""``placer catalog …``: list, show, validate and diff price catalogs (refresh, push and pull join them later)."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from placer.cli.handler import errors_to_exit_codes, want_traceback
from placer.cli.options import CatalogOption, PluginsOption, TracebackOption

app = typer.Typer(
    name="catalog",
    help="Inspect, validate and compare price catalogs (the embedded one, catalog JSON files, user catalogs).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Format(str, enum.Enum):
    table = "table"
    json = "json"


class KindChoice(str, enum.Enum):
    gpu = "gpu"
    mac = "mac"
    api = "api"


class PricingChoice(str, enum.Enum):
    on_demand = "on-demand"
    spot = "spot"
    reserved = "reserved"


FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]


@app.command("list")
def list_offers(
    accelerator: Annotated[
        list[str] | None,
        typer.Option(
            "--accelerator",
            "-a",
            help="Accelerator or Mac chip; a family matches all its variants.",
            show_default=False,
        ),
    ] = None,
    provider: Annotated[
        list[str] | None, typer.Option(help="Provider (any of, repeatable).", show_default=False)
    ] = None,
    region: Annotated[
        list[str] | None,
        typer.Option(help="Region pattern such as 'us-*': name, provider/name or geo.", show_default=False),
    ] = None,
    kind: Annotated[KindChoice | None, typer.Option(help="Offer kind.", show_default=False)] = None,
    pricing: Annotated[
        PricingChoice | None, typer.Option(help="GPU offers with this price, listed by it.", show_default=False)
    ] = None,
    max_price: Annotated[
        float | None,
        typer.Option(
            min=0,
            help="Max USD per accelerator-hour (Mac: per hour; with --kind api: per M output tokens).",
            show_default=False,
        ),
    ] = None,
    output_format: FormatOption = Format.table,
    catalog: CatalogOption = None,
    plugins: PluginsOption = None,
    show_traceback: TracebackOption = False,
) -> None:
    """List offers, cheapest first, with their price, date and source (the catalog plans use)."""
    from placer.catalog.query import OfferQuery, select_offers
    from placer.cli.sources import effective_catalog

    with errors_to_exit_codes(want_traceback(show_traceback), []):
        cat, _, _ = effective_catalog(catalog, plugins, None)
        query = OfferQuery(
            accelerators=tuple(accelerator or ()),
            providers=tuple(provider or ()),
            regions=tuple(region or ()),
            kind=kind.value if kind else None,
            pricing=pricing.value if pricing else None,
            max_price=max_price,
        )
        rows = select_offers(cat, query)
        if output_format is Format.json:
            from placer.render.catalog_view import offer_list_json

            typer.echo(offer_list_json(cat, rows), nl=False)
        else:
            from placer.render.catalog_view import print_offer_list

            print_offer_list(cat, rows)


@app.command("show")
def show(
    offer: Annotated[str, typer.Argument(help="Offer id, e.g. aws/us-east-1/p5.48xlarge.", show_default=False)],
    output_format: FormatOption = Format.table,
    catalog: CatalogOption = None,
    plugins: PluginsOption = None,
    show_traceback: TracebackOption = False,
) -> None:
    """Show one offer: every field and every price with its source, date, basis and assumption."""
    from placer.catalog.query import find_offer
    from placer.cli.sources import effective_catalog

    with errors_to_exit_codes(want_traceback(show_traceback), []):
        cat, _, _ = effective_catalog(catalog, plugins, None)
        found = find_offer(cat, offer)
        if output_format is Format.json:
            from placer.render.catalog_view import offer_json

            typer.echo(offer_json(cat, found), nl=False)
        else:
            from placer.render.catalog_view import print_offer

            print_offer(cat, found)


@app.command("validate")
def validate(
    file: Annotated[
        Path,
        typer.Argument(help="User catalog (.yaml, .yml, .csv) or catalog JSON.", show_default=False, readable=False),
    ],
    catalog: CatalogOption = None,
    plugins: PluginsOption = None,
    show_traceback: TracebackOption = False,
) -> None:
    """Check a catalog file: a user catalog is also applied to the catalog plans use (with --catalog, plugins,
    live prices and your config), so unknown offer ids and providers are caught."""
    from placer.catalog.files import load_catalog_file
    from placer.catalog.layering import apply_user_catalog
    from placer.catalog.user import load_user_catalog
    from placer.cli.sources import effective_catalog

    with errors_to_exit_codes(want_traceback(show_traceback), []):
        if file.suffix.lower() == ".json":
            cat = load_catalog_file(file)
            typer.echo(
                f"ok: {len(cat.offers):,} offers, {len(cat.hardware):,} hardware, {len(cat.regions):,} regions "
                f"in {file} (as of {cat.as_of})"
            )
            return
        user = load_user_catalog(file)
        base, _, _ = effective_catalog(catalog, plugins, None)
        merged = apply_user_catalog(base, user)
        typer.echo(f"ok: {user.summary()} in {file}; {len(merged.offers):,} offers with the base catalog")


@app.command("diff")
def diff(
    old: Annotated[Path, typer.Argument(help="Old catalog: JSON, or a user catalog on the embedded one.")],
    new: Annotated[Path, typer.Argument(help="New catalog: JSON, or a user catalog on the embedded one.")],
    output_format: FormatOption = Format.table,
    show_traceback: TracebackOption = False,
) -> None:
    """Compare two catalogs: price changes in $ and %, offers added and removed."""
    from placer.catalog.diff import diff_catalogs
    from placer.catalog.files import compose_catalog

    with errors_to_exit_codes(want_traceback(show_traceback), []):
        result = diff_catalogs(compose_catalog([old]), compose_catalog([new]))
        if output_format is Format.json:
            from placer.render.catalog_view import diff_json

            typer.echo(diff_json(result), nl=False)
        else:
            from placer.render.catalog_view import print_diff

            print_diff(result, str(old), str(new))


def _register_more() -> None:
    """Commands that live in their own modules: refresh (live prices) and pinned snapshots."""
    from placer.cli.catalog_refresh import refresh
    from placer.cli.catalog_share import pull, push, snapshot

    app.command("refresh")(refresh)
    app.command("snapshot")(snapshot)
    app.command("push")(push)
    app.command("pull")(pull)


_register_more()
