"""User catalogs as CSV: one GPU offer per row, errors as file:row:column (rows counted like a spreadsheet)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from placer.catalog.models import (
    GpuOffer,
)
from placer.catalog.user import (
    UserCatalog,
    UserCatalogSpec,
    _check_file,
    _did_you_mean,
    _validate_offer,
)
from placer.catalog.user_fields import _as_of, _usd
from placer.errors import CatalogError, SourceLocation
from placer.yamldoc import clip, excerpt

# --- CSV -------------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "id",
    "provider",
    "region",
    "instance",
    "accelerator",
    "accelerators_per_instance",
    "accelerator_memory_gb",
    "interconnect",
    "on_demand_usd",
    "spot_usd",
    "source",
    "as_of",
)
CSV_OPTIONAL = ("reserved_usd", "max_instances", "basis", "notes")
_CSV_PRICES = {"on-demand": "on_demand_usd", "spot": "spot_usd", "reserved": "reserved_usd"}


@dataclass(frozen=True)
class _CsvPositions:
    row_based = True  # errors say "row", not "line"
    """Where each (row, column) of a CSV file is: rows as file lines (header = row 1), columns 1-based."""

    filename: str
    lines: tuple[str, ...]
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[int | None, ...]], ...]  # per data row: its line, each cell's column

    def __call__(self, path: Sequence[str | int], *, key: bool = False) -> SourceLocation:
        rest = list(path)
        if len(rest) < 2 or rest[0] != "offers" or not isinstance(rest[1], int) or rest[1] >= len(self.rows):
            return SourceLocation(self.filename)
        line, columns = self.rows[rest[1]]
        name = _csv_column(rest[2:])
        column = columns[self.header.index(name)] if name in self.header else None
        return SourceLocation(self.filename, line, column, name, excerpt(self.lines, line, column))

    def cell(self, row: int, name: str) -> SourceLocation:
        return self(("offers", row, name))


def _csv_column(rest: Sequence[str | int]) -> str | None:
    if not rest:
        return None
    if rest[0] == "prices":
        if len(rest) >= 3 and rest[2] in ("source", "as_of", "basis"):
            return str(rest[2])
        return _CSV_PRICES.get(str(rest[1])) if len(rest) >= 2 else "on_demand_usd"
    return str(rest[0])


def _cell_columns(line: str, cells: list[str]) -> tuple[int | None, ...]:
    """1-based column of each cell in a one-line row, honouring quotes ("a, b" is one cell)."""
    starts, quoted = [1], False
    for at, ch in enumerate(line, 1):
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            starts.append(at + 1)
    if len(starts) != len(cells):  # a cell spans lines: no columns
        return tuple(None for _ in cells)
    return tuple(starts)


def parse_user_csv(text: str, filename: str) -> UserCatalog:
    """GPU offers, one per row; every error names the row (file line) and the column."""
    lines = tuple(text.splitlines())
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, list[str]]] = []
    end = 0
    try:
        for cells in reader:
            start, end = end + 1, reader.line_num
            if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
                continue
            rows.append((start, cells))
    except csv.Error as exc:
        raise CatalogError(f"not valid CSV: {exc}", location=SourceLocation(filename, reader.line_num)) from None
    if not rows:
        raise CatalogError("file is empty", location=SourceLocation(filename))
    head_line, head = rows[0]
    header = tuple(c.strip() for c in head)
    head_cols = _cell_columns(lines[head_line - 1], head)
    known = CSV_COLUMNS + CSV_OPTIONAL
    for j, name in enumerate(header):
        where = SourceLocation(filename, head_line, head_cols[j], clip(name), excerpt(lines, head_line, head_cols[j]))
        if name not in known:
            hint = _did_you_mean(name, known) or f"columns: {', '.join(known)}"
            raise CatalogError(f"unknown column {clip(repr(name))}", location=where, hint=hint)
        if header.index(name) != j:
            raise CatalogError(f"duplicate column {name!r}", location=where)
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise CatalogError(
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
            location=SourceLocation(filename, head_line, None, None, excerpt(lines, head_line, None)),
            hint=f"the header is: {','.join(CSV_COLUMNS)}",
        )
    data = rows[1:]
    positions = _CsvPositions(
        filename, lines, header, tuple((ln, _cell_columns(lines[ln - 1], cells)) for ln, cells in data)
    )
    offers = tuple(_csv_offer(i, cells, header, positions) for i, (_, cells) in enumerate(data))
    user = UserCatalog(filename, UserCatalogSpec(), offers, positions)
    _check_file(user)
    return user


def _csv_offer(i: int, cells: list[str], header: tuple[str, ...], pos: _CsvPositions) -> GpuOffer:
    if len(cells) != len(header):
        line = pos(("offers", i))
        unclosed = line.source_line is not None and line.source_line.count('"') % 2 == 1
        raise CatalogError(
            f"row has {len(cells)} cells but the header has {len(header)} columns",
            location=line,
            hint='a quote (") opened in this row is never closed' if unclosed else None,
        )
    row = {name: cells[j].strip() for j, name in enumerate(header)}
    for name in ("provider", "region", "instance", "accelerator", "source", "as_of"):
        if not row[name]:
            raise CatalogError(f"missing {name}", location=pos.cell(i, name))
    try:
        _as_of(row["as_of"])
    except ValueError as exc:
        raise CatalogError(str(exc), location=pos.cell(i, "as_of")) from None
    prices: dict[str, dict[str, Any]] = {}
    for pricing, column in _CSV_PRICES.items():
        if row.get(column, ""):
            try:
                usd = _usd(row[column])
            except ValueError as exc:
                raise CatalogError(str(exc), location=pos.cell(i, column)) from None
            prices[pricing] = {
                "usd": usd,
                "source": row["source"],
                "as_of": row["as_of"],
                "basis": row.get("basis") or "list",
            }
    if not prices:
        raise CatalogError(
            "missing price: give on_demand_usd or spot_usd (greater than zero)", location=pos.cell(i, "on_demand_usd")
        )
    item: dict[str, Any] = {
        "kind": "gpu",
        "id": row["id"] or f"{row['provider']}/{row['region']}/{row['instance']}",
        **{name: row[name] for name in CSV_COLUMNS[1:8]},
        "prices": prices,
    }
    for name in ("max_instances", "notes"):
        if row.get(name):
            item[name] = row[name]
    offer = _validate_offer(item, ("offers", i), pos, pos.filename)
    assert isinstance(offer, GpuOffer)
    return offer
