"""Catalog views: offer lists, one offer in full, and catalog diffs, as rich tables or JSON."""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import urlparse

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from placer.catalog.diff import CatalogDiff
from placer.catalog.models import CATALOG_SCHEMA_VERSION, ApiOffer, Catalog, GpuOffer, MacOffer, Price
from placer.catalog.query import Headline, priced_items
from placer.render.table import PIPE_WIDTH

AnyOffer = GpuOffer | ApiOffer | MacOffer
Row = tuple[AnyOffer, Headline]


LIST_PIPE_WIDTH = 180  # a piped offer list keeps one line per offer (ids are long)


def _console(console: Console | None, pipe_width: int = PIPE_WIDTH) -> Console:
    if console is not None:
        return console
    out = Console(soft_wrap=False)
    if not out.is_terminal and "COLUMNS" not in os.environ:
        out = Console(soft_wrap=False, width=pipe_width)
    return out


def price(value: float | None) -> str:
    """USD with the precision a price needs: $55.04, $0.0125, $1,234.50."""
    if value is None:
        return "—"
    if value == 0:
        return "$0"
    if abs(value) >= 1:
        return f"${value:,.2f}"
    text = f"{value:.4f}".rstrip("0")
    return "$" + (text + "0" if len(text.split(".")[1]) < 2 else text)


def source_host(source: str) -> str:
    url = urlparse(source)
    if url.scheme in ("http", "https") and url.netloc:
        return url.netloc.removeprefix("www.")
    return source if len(source) <= 32 else source[:31] + "…"


def hardware_text(offer: AnyOffer) -> str:
    if isinstance(offer, GpuOffer):
        return f"{offer.accelerator} × {offer.accelerators_per_instance}"
    if isinstance(offer, MacOffer):
        return f"{offer.chip} × 1" + (" (elastic)" if offer.elastic else "")
    return f"API {offer.model}"


def _pricing_text(offer: AnyOffer, head: Headline) -> Text:
    if isinstance(offer, ApiOffer):
        return Text(f"in {price(offer.input_usd_per_mtok.usd)}, out {price(offer.output_usd_per_mtok.usd)} /M tok")
    keys = [item.key for item in priced_items(offer)]
    text = Text()
    for i, key in enumerate(keys):
        text.append(", " if i else "")
        text.append(key, style="bold" if key == head.item.key and len(keys) > 1 else None)
    return text


def _assumed(offer: AnyOffer) -> bool:
    return any(item.price.is_assumption for item in priced_items(offer))


# --- list ------------------------------------------------------------------------------------------


def offer_list_table(catalog: Catalog, rows: list[Row], width: int = LIST_PIPE_WIDTH) -> Table:
    """Every column from 140 characters up; narrower, provider (the id starts with it) and source drop out."""
    wide = width >= 140
    table = Table(box=box.SIMPLE_HEAD, title_justify="left", expand=False)
    table.title = f"{len(rows):,} offers · catalog as of {catalog.as_of}"
    table.add_column("id", overflow="fold", min_width=16)
    if wide:
        table.add_column("provider", no_wrap=True)
    table.add_column("region", no_wrap=True)
    table.add_column("hardware", no_wrap=True)
    table.add_column("$/inst-h", justify="right", no_wrap=True)
    table.add_column("$/accel-h", justify="right", no_wrap=True)
    table.add_column("pricing", min_width=9)
    table.add_column("as_of", no_wrap=True)
    if wide:
        table.add_column("source", max_width=24, overflow="ellipsis", no_wrap=True)
    for offer, head in rows:
        star = "*" if head.item.price.is_assumption else ""
        per_instance, per_accel = head.usd_per_instance_hour, head.usd_per_accelerator_hour
        cells: list[RenderableType] = [offer.id]
        if wide:
            cells.append(offer.provider)
        cells += [
            offer.region,
            hardware_text(offer),
            price(per_instance) + star if per_instance is not None else "—",
            price(per_accel) + star if per_accel is not None else "—",
            _pricing_text(offer, head),
            head.item.price.as_of,
        ]
        if wide:
            cells.append(source_host(head.item.price.source))
        table.add_row(*cells)
    notes = [
        "prices: GPU per instance-hour (the bold pricing; on-demand unless --pricing), Mac the cheapest plan per hour"
    ]
    if any(_assumed(o) for o, _ in rows):
        notes.append("* an assumption, not a published price (`placer catalog show ID` says why)")
    table.caption = "\n".join(notes)
    table.caption_justify = "left"
    return table


def print_offer_list(catalog: Catalog, rows: list[Row], console: Console | None = None) -> None:
    out = _console(console, LIST_PIPE_WIDTH)
    if not rows:
        out.print(f"No offers match (catalog as of {catalog.as_of}, {len(catalog.offers):,} offers).")
        return
    out.print(offer_list_table(catalog, rows, out.width))


def _dump(offer: AnyOffer) -> dict[str, Any]:
    return offer.model_dump(mode="json", exclude_none=True)


def offer_list_json(catalog: Catalog, rows: list[Row]) -> str:
    """Contract: ``{schema_version, as_of, offers: [...]}``; each offer in full plus its headline ``source``,
    ``as_of`` and (for GPUs and Macs) ``usd_per_accelerator_hour``."""
    offers = []
    for offer, head in rows:
        item = _dump(offer)
        item["source"] = head.item.price.source
        item["as_of"] = head.item.price.as_of
        item["pricing"] = head.item.key
        if head.usd_per_accelerator_hour is not None:
            item["usd_per_accelerator_hour"] = round(head.usd_per_accelerator_hour, 6)
        offers.append(item)
    data = {"schema_version": catalog.schema_version, "as_of": catalog.as_of, "offers": offers}
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# --- show ------------------------------------------------------------------------------------------


def offer_json(catalog: Catalog, offer: AnyOffer) -> str:
    region = catalog.region_of(offer)
    hw = offer.accelerator if isinstance(offer, GpuOffer) else offer.chip if isinstance(offer, MacOffer) else None
    spec = catalog.hardware.get(hw) if hw else None
    data = {
        "schema_version": CATALOG_SCHEMA_VERSION,
        "as_of": catalog.as_of,
        "offer": _dump(offer),
        "region": region.model_dump(mode="json", exclude_none=True) if region else None,
        "hardware": spec.model_dump(mode="json", exclude_none=True) if spec else None,
    }
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _price_detail(p: Price) -> Text:
    text = Text(p.basis)
    if p.assumption:
        text.append(f"\nassumption: {p.assumption}", style="yellow")
    if p.original:
        text.append(f"\noriginal: {p.original}")
    return text


def offer_view(catalog: Catalog, offer: AnyOffer) -> Group:
    fields = Table.grid(padding=(0, 2))
    fields.add_column(style="bold")
    fields.add_column(overflow="fold")
    skip = {"prices", "plans", "input_usd_per_mtok", "output_usd_per_mtok"}
    for name, value in offer.model_dump(mode="json").items():
        if name not in skip and value is not None:
            fields.add_row(name, str(value))
    region = catalog.region_of(offer)
    if region is not None:
        fields.add_row("region info", f"{region.label} · geo {region.geo} · {region.lat:g}, {region.lon:g}")
        if region.assumption:
            fields.add_row("", Text(f"assumption: {region.assumption}", style="yellow"))
    prices = Table(title="Prices", box=box.SIMPLE_HEAD, title_justify="left")
    for name in ("price", "USD", "per", "basis / notes", "as_of", "source"):
        prices.add_column(name, justify="right" if name == "USD" else "left", overflow="fold")
    plans = {p.unit: p for p in offer.plans} if isinstance(offer, MacOffer) else {}
    for item in priced_items(offer):
        key = item.key
        if item.unit in plans and plans[item.unit].min_lease_hours:
            key += f" (min lease {plans[item.unit].min_lease_hours:g} h)"
        p = item.price
        prices.add_row(key, price(p.usd), item.unit, _price_detail(p), p.as_of, p.source)
    title = Text(offer.id, style="bold")
    title.append(f" · {offer.kind} · catalog as of {catalog.as_of}", style="default")
    return Group(title, fields, Text(), prices)


def print_offer(catalog: Catalog, offer: AnyOffer, console: Console | None = None) -> None:
    _console(console).print(offer_view(catalog, offer))


# --- diff ------------------------------------------------------------------------------------------


def diff_json(diff: CatalogDiff) -> str:
    data = diff.model_dump(mode="json")
    for change in data["price_changes"]:
        for name in ("delta_usd", "delta_pct"):
            if change[name] is not None:
                change[name] = round(change[name], 6)
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:+.1f} %"


def diff_view(diff: CatalogDiff, old_name: str, new_name: str) -> Group:
    head = Text()
    head.append(f"{old_name}", style="bold")
    head.append(f" (as of {diff.old_as_of}, {diff.old_offers:,} offers) → ")
    head.append(f"{new_name}", style="bold")
    head.append(f" (as of {diff.new_as_of}, {diff.new_offers:,} offers)\n")
    head.append(
        f"{len(diff.price_changes):,} price changes · {len(diff.added):,} offers added · {len(diff.removed):,} removed"
    )
    parts: list[RenderableType] = [head]
    if diff.empty:
        parts.append(Text("No differences in offers or prices."))
    if diff.price_changes:
        table = Table(title="Price changes", box=box.SIMPLE_HEAD, title_justify="left")
        for name in ("offer", "price", "per", "old", "new", "change", "%"):
            table.add_column(name, justify="right" if name in ("old", "new", "change", "%") else "left")
        for c in diff.price_changes:
            delta = "—" if c.delta_usd is None else ("+" if c.delta_usd > 0 else "-") + price(abs(c.delta_usd))
            style = None if c.delta_usd is None else ("red" if c.delta_usd > 0 else "green")
            table.add_row(
                c.offer, c.key, c.unit, price(c.old_usd), price(c.new_usd), delta, _pct(c.delta_pct), style=style
            )
        parts.append(table)
    for title, refs in (("Added", diff.added), ("Removed", diff.removed)):
        if refs:
            table = Table(title=f"{title}: {len(refs):,} offers", box=box.SIMPLE_HEAD, title_justify="left")
            for name in ("id", "kind", "provider", "region"):
                table.add_column(name)
            for r in refs:
                table.add_row(r.id, r.kind, r.provider, r.region)
            parts.append(table)
    return Group(*parts)


def print_diff(diff: CatalogDiff, old_name: str, new_name: str, console: Console | None = None) -> None:
    _console(console).print(diff_view(diff, old_name, new_name))
