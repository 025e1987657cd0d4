"""User catalogs: your own offers, negotiated prices, discounts and private pools, layered on a base catalog.

A user catalog is a YAML file (or a CSV file of GPU offers only)::

    as_of: 2026-11-01                        # default as_of of the prices this file sets
    source: "ACME negotiated rate card 2026" # default source of the prices this file sets
    discounts: {aws: 28%, gcp: 0.15}         # per provider: "28%" or a fraction below 1
    overrides:                               # new prices for existing offers, by id
      - offer: meta/us-east/h100-pool
        prices: {on-demand: 28.0}            # GPU: per instance-hour by pricing model (on-demand, spot, reserved)
                                             # Mac: per plan unit (hour, day, month…); API: input/output per M tokens
    pools:                                   # private GPU pools; id = "{provider}/{region}/{name}"
      - name: rsc-h100
        provider: internal                   # the default
        region: us-east                      # "{provider}/{region}" must be a region (below or in the base catalog)
        accelerator: H100
        accelerators: 2048                   # capacity: max_instances = accelerators / per_instance
        per_instance: 8
        interconnect: infiniband
        usd_per_accelerator_hour: 2.10       # or `marginal_cost: zero` (the only way to a price of zero)
    regions:
      internal/us-east: {geo: us-east, lat: 39.0, lon: -77.5, label: "ACME DC1"}
    offers: [...]                            # full offer objects as in catalog.json; a duplicate id is an error

CSV files hold one GPU offer per row, header (any order; ``reserved_usd``, ``max_instances``, ``basis`` and
``notes`` may be added)::

    id,provider,region,instance,accelerator,accelerators_per_instance,accelerator_memory_gb,interconnect,on_demand_usd,spot_usd,source,as_of

An empty ``id`` becomes ``{provider}/{region}/{instance}``; an empty price cell means "no such price". Errors name
``file:row:column`` with rows counted like a spreadsheet (the header is row 1).

How a user catalog is applied (:func:`apply_user_catalog`), in this order:

1. regions, added offers and pools join the catalog (a duplicate id, unknown hardware or region is an error);
2. overrides replace prices (``Price.source``/``as_of`` become this file's; ``original`` records the replaced price);
3. discounts scale every price of the provider **that this file did not write**: an override, a pool or an added
   offer states the price actually paid, so a discount never applies to it (no double discount). Prices from the
   base or from an earlier layer are discounted; they keep their source and ``original`` records the list price.

:func:`compose_catalog` layers several files: a catalog JSON replaces the embedded base, user catalogs apply in order.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal, Protocol, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from placer.catalog.loader import embedded_catalog, load_catalog
from placer.catalog.models import (
    ZERO_MARGINAL,
    ApiOffer,
    Catalog,
    GpuOffer,
    Interconnect,
    MacOffer,
    Price,
    PricingModel,
    Region,
)
from placer.errors import CatalogError, SourceLocation, UsageError
from placer.yamldoc import YamlDocument, describe, parse_yaml, read_text, validation_error

AnyOffer = GpuOffer | ApiOffer | MacOffer
Path_ = tuple[str | int, ...]
USER_SUFFIXES = (".yaml", ".yml", ".csv")
OVERRIDE_BASIS = "user"  # basis of a price an override sets (unless it names its own)
POOL_BASIS = "internal"  # basis of a priced private pool
_AS_OF = re.compile(r"^(\d{4}(-\d{2}(-\d{2})?)?|unknown)$")
_OFFER_MODELS: dict[str, type[GpuOffer] | type[MacOffer] | type[ApiOffer]] = {
    "gpu": GpuOffer,
    "mac": MacOffer,
    "api": ApiOffer,
}
_PRICING: tuple[str, ...] = get_args(PricingModel)
_API_SIDES = {"input": "input_usd_per_mtok", "output": "output_usd_per_mtok"}


class Locator(Protocol):
    """Turns a path inside a user catalog (``("pools", 0, "region")``) into a file position."""

    def __call__(self, path: Sequence[str | int], /, *, key: bool = False) -> SourceLocation: ...


# --- values ----------------------------------------------------------------------------------------


def _number(value: object) -> float:
    if isinstance(value, bool) or value is None or not isinstance(value, int | float | str):
        raise ValueError(f"expected a number, got {describe(value)}")
    try:
        return float(value.strip().replace("_", "")) if isinstance(value, str) else float(value)
    except (ValueError, OverflowError):
        raise ValueError(f"expected a number, got {value!r}") from None


def _usd(value: object) -> float:
    if value is None or value == "":
        raise ValueError("missing price: must be a number greater than zero")
    number = _number(value)
    if not math.isfinite(number):
        raise ValueError(f"price must be a finite number greater than zero, got {value}")
    if number <= 0:
        raise ValueError(f"price must be greater than zero, got {value}")
    return number


def _pool_usd(value: object) -> float:
    try:
        return _usd(value)
    except ValueError as exc:
        raise ValueError(f"{exc} (a pool with no marginal cost says `marginal_cost: zero`)") from None


def _marginal_cost(value: object) -> object:
    if value == 0 and not isinstance(value, bool):
        return "zero"
    if value != "zero":
        shown = repr(value) if isinstance(value, str) else describe(value)
        raise ValueError(f"marginal_cost must be 'zero' (a priced pool gives usd_per_accelerator_hour), got {shown}")
    return value


def _discount(value: object) -> float:
    text = value.strip() if isinstance(value, str) else None
    percent = text is not None and text.endswith("%")
    try:
        number = _number(text[:-1] if percent and text else value)
    except ValueError:
        raise ValueError(
            f"a discount is a percentage such as '28%' or a fraction such as 0.28, got {value!r}"
        ) from None
    fraction = number / 100 if percent else number
    if not percent and 1 < number < 100:
        raise ValueError(f"a discount written as a number is a fraction below 1; for a percentage write '{number:g}%'")
    if not (math.isfinite(fraction) and 0 <= fraction < 1):
        raise ValueError(f"discount must be at least 0 % and below 100 %, got {value}")
    return fraction


def _as_of(value: object) -> object:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):  # YAML reads 2026-11-01 as a date
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and not _AS_OF.match(value):
        raise ValueError(f"as_of must be YYYY, YYYY-MM, YYYY-MM-DD or 'unknown', got {value!r}")
    return value


def _bare_region(value: object) -> object:
    if isinstance(value, str) and "/" in value:
        raise ValueError(
            "a pool's region is the bare name, without its provider (the provider comes from `provider:`), "
            f"got {value!r}"
        )
    return value


def _plain(value: Any) -> Any:
    """YAML dates as the text they were written as, everywhere inside an offer object."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):  # as_of: 2026 is a number to YAML
        return {k: str(v) if k == "as_of" and isinstance(v, int) else _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _tidy(usd: float) -> float:
    """Drop float noise (55.04 × 0.72 = 39.628800000000005) without ever rounding a price to zero."""
    return float(f"{usd:.12g}")


Usd = Annotated[float, BeforeValidator(_usd)]
PoolUsd = Annotated[float, BeforeValidator(_pool_usd)]
Discount = Annotated[float, BeforeValidator(_discount)]
AsOf = Annotated[str, BeforeValidator(_as_of)]
Count = Annotated[int, Field(ge=1)]
Text = Annotated[str, Field(min_length=1)]


# --- the file's schema -----------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OverrideSpec(_Strict):
    offer: Text
    prices: dict[str, Usd] = Field(min_length=1)
    basis: Text = OVERRIDE_BASIS
    source: Text | None = None
    as_of: AsOf | None = None


class PoolSpec(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    provider: str = Field(default="internal", pattern=r"^[a-z0-9][a-z0-9-]*$")
    region: Annotated[str, BeforeValidator(_bare_region), Field(min_length=1)]
    accelerator: Text
    accelerators: Count
    per_instance: Count
    interconnect: Interconnect
    accelerator_memory_gb: float | None = Field(default=None, gt=0)
    usd_per_accelerator_hour: PoolUsd | None = None
    marginal_cost: Annotated[Literal["zero"], BeforeValidator(_marginal_cost)] | None = None
    pricing: PricingModel = "on-demand"
    basis: Text = POOL_BASIS
    instance: Text | None = None
    notes: str | None = None
    source: Text | None = None
    as_of: AsOf | None = None

    @property
    def id(self) -> str:
        return f"{self.provider}/{self.region}/{self.name}"


class RegionSpec(_Strict):
    geo: Text
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    label: Text
    aws_proxy: str | None = None
    assumption: str | None = None


class UserCatalogSpec(_Strict):
    as_of: AsOf | None = None
    source: Text | None = None
    description: str | None = None
    discounts: dict[str, Discount] = Field(default_factory=dict)
    overrides: list[OverrideSpec] = Field(default_factory=list)
    pools: list[PoolSpec] = Field(default_factory=list)
    regions: dict[str, RegionSpec] = Field(default_factory=dict)
    offers: list[Any] = Field(default_factory=list)  # validated one by one against their kind's model


@dataclass(frozen=True)
class UserCatalog:
    """A validated user catalog, remembering its file (for provenance notes and error positions)."""

    path: str
    spec: UserCatalogSpec
    offers: tuple[AnyOffer, ...]
    locate: Locator = field(repr=False, compare=False)

    @property
    def name(self) -> str:
        return Path(self.path).name

    @property
    def as_of(self) -> str | None:
        """The file's ``as_of``; for a file without one (a CSV), the newest date among its prices."""
        if self.spec.as_of is not None:
            return self.spec.as_of
        dates = [p.as_of for o in self.offers for p in _prices(o) if p.as_of != "unknown"]
        return max(dates) if dates else None

    @property
    def source(self) -> str | None:
        return self.spec.source

    @property
    def discounts(self) -> MappingProxyType[str, float]:
        return MappingProxyType(self.spec.discounts)

    def summary(self) -> str:
        parts = [
            _count(len(self.offers), "offer"),
            _count(len(self.spec.pools), "pool"),
            _count(len(self.spec.overrides), "override"),
            _count(len(self.spec.discounts), "discount"),
        ]
        if self.spec.regions:
            parts.append(_count(len(self.spec.regions), "region"))
        return ", ".join(parts)


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


@dataclass
class _Delegate(YamlDocument):
    """A YamlDocument whose positions come from a locator, under a path prefix (one offer of many)."""

    locator: Locator | None = None
    prefix: Path_ = ()

    def locate(self, path: Sequence[str | int], *, key: bool = False) -> SourceLocation:
        assert self.locator is not None
        return self.locator((*self.prefix, *path), key=key)


def _validate_offer(item: dict[str, Any], path: Path_, locate: Locator, filename: str) -> AnyOffer:
    kind = item.get("kind")
    if kind is None:
        raise CatalogError("missing required key 'kind' (gpu, mac or api)", location=locate(path))
    if kind not in _OFFER_MODELS:
        raise CatalogError(
            f"unknown kind {kind!r}; expected gpu, mac or api",
            location=locate((*path, "kind")),
            hint=_did_you_mean(str(kind), list(_OFFER_MODELS)),
        )
    model = _OFFER_MODELS[kind]
    try:
        return model.model_validate(_plain(item))
    except ValidationError as exc:
        doc = _Delegate(filename, "", item, locator=locate, prefix=path)
        raise validation_error(exc, doc, CatalogError, model) from None


def _did_you_mean(name: str, choices: Iterable[str]) -> str | None:
    options = sorted(set(choices))
    found = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    if not found:
        lowered = {c.lower(): c for c in options}
        found = [lowered[m] for m in difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)]
    return f"did you mean {found[0]!r}?" if found else None


# --- reading ---------------------------------------------------------------------------------------


def parse_user_catalog(text: str, filename: str) -> UserCatalog:
    """Validate a YAML user catalog on its own (checks that need the base catalog happen when applied)."""
    doc = parse_yaml(text, filename, CatalogError)
    data = doc.data
    if not isinstance(data, dict):
        raise CatalogError(
            f"expected a mapping of user catalog keys (as_of, source, discounts, overrides, pools, regions, offers), "
            f"found {describe(data)}",
            location=doc.locate(()),
        )
    try:
        spec = UserCatalogSpec.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, doc, CatalogError, UserCatalogSpec) from None
    offers: list[AnyOffer] = []
    for i, item in enumerate(spec.offers):
        if not isinstance(item, dict):
            raise CatalogError(
                f"an offer is a mapping of keys (id, provider, region, kind, ...), found {describe(item)}",
                location=doc.locate(("offers", i)),
            )
        offers.append(_validate_offer(item, ("offers", i), doc.locate, filename))
    user = UserCatalog(filename, spec, tuple(offers), doc.locate)
    _check_file(user)
    return user


def _check_file(user: UserCatalog) -> None:
    spec, locate = user.spec, user.locate
    for section, items in (("overrides", spec.overrides), ("pools", spec.pools)):
        for i, item in enumerate(items):
            for name in ("source", "as_of"):
                if getattr(item, name) is None and getattr(spec, name) is None:
                    raise CatalogError(
                        f"missing {name}: give `{name}:` at the top of the file or in this entry",
                        location=locate((section, i)),
                    )
    first_override: dict[str, int] = {}
    for i, ov in enumerate(spec.overrides):
        if ov.offer in first_override:
            line = locate(("overrides", first_override[ov.offer], "offer")).line
            raise CatalogError(
                f"offer {ov.offer!r} is overridden twice (first on line {line})",
                location=locate(("overrides", i, "offer")),
            )
        first_override[ov.offer] = i
    for i, pool in enumerate(spec.pools):
        if pool.usd_per_accelerator_hour is not None and pool.marginal_cost is not None:
            raise CatalogError(
                "give usd_per_accelerator_hour or marginal_cost: zero, not both",
                location=locate(("pools", i, "marginal_cost"), key=True),
            )
        if pool.usd_per_accelerator_hour is None and pool.marginal_cost is None:
            raise CatalogError(
                "a pool needs a price: usd_per_accelerator_hour (greater than zero) or marginal_cost: zero",
                location=locate(("pools", i)),
            )
        if pool.accelerators % pool.per_instance:
            raise CatalogError(
                f"accelerators ({pool.accelerators}) must be a whole number of instances of "
                f"per_instance ({pool.per_instance})",
                location=locate(("pools", i, "accelerators")),
            )
    line_word = "row" if isinstance(locate, _CsvPositions) else "line"
    first_id: dict[str, Path_] = {}
    ids = [(o.id, ("offers", i, "id")) for i, o in enumerate(user.offers)]
    ids += [(p.id, ("pools", i, "name")) for i, p in enumerate(spec.pools)]
    for offer_id, path in ids:
        if offer_id in first_id:
            line = locate(first_id[offer_id]).line
            raise CatalogError(f"duplicate offer id {offer_id!r} (first on {line_word} {line})", location=locate(path))
        first_id[offer_id] = path


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
        source = self.lines[line - 1] if 0 < line <= len(self.lines) else None
        return SourceLocation(self.filename, line, column, name, source)

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
        where = SourceLocation(filename, head_line, head_cols[j], name, lines[head_line - 1])
        if name not in known:
            hint = _did_you_mean(name, known) or f"columns: {', '.join(known)}"
            raise CatalogError(f"unknown column {name!r}", location=where, hint=hint)
        if header.index(name) != j:
            raise CatalogError(f"duplicate column {name!r}", location=where)
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise CatalogError(
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
            location=SourceLocation(filename, head_line, None, None, lines[head_line - 1]),
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
        raise CatalogError(
            f"row has {len(cells)} cells but the header has {len(header)} columns", location=pos(("offers", i))
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


def load_user_catalog(path: str | Path) -> UserCatalog:
    """Read and validate a user catalog: ``.yaml``/``.yml`` (everything) or ``.csv`` (GPU offers)."""
    suffix = Path(path).suffix.lower()
    if suffix not in USER_SUFFIXES:
        hint = "a catalog JSON is a base catalog, not a user catalog" if suffix == ".json" else None
        raise CatalogError(
            f"a user catalog is a .yaml, .yml or .csv file, not {suffix or 'a file without a suffix'}",
            location=SourceLocation(str(path)),
            hint=hint,
        )
    text = read_text(path, CatalogError)
    return parse_user_csv(text, str(path)) if suffix == ".csv" else parse_user_catalog(text, str(path))


# --- applying --------------------------------------------------------------------------------------


@dataclass
class _Layer:
    base: Catalog
    user: UserCatalog
    offers: list[AnyOffer] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)
    regions: dict[str, Region] = field(default_factory=dict)
    own: set[tuple[str, str]] = field(default_factory=set)  # (offer id, price key) this file set

    def __post_init__(self) -> None:
        self.offers = list(self.base.offers)
        self.index = {o.id: i for i, o in enumerate(self.offers)}
        self.regions = dict(self.base.regions)

    def fail(self, message: str, path: Path_, *, key: bool = False, hint: str | None = None) -> CatalogError:
        return CatalogError(message, location=self.user.locate(path, key=key), hint=hint)

    def add(self, offer: AnyOffer, path: Path_, id_field: str) -> None:
        if offer.id in self.index:
            raise self.fail(
                f"duplicate offer id {offer.id!r}: the catalog already has it",
                (*path, id_field),
                hint="to change its prices, use overrides: in a YAML user catalog",
            )
        hw_field = "accelerator" if isinstance(offer, GpuOffer) else "chip" if isinstance(offer, MacOffer) else None
        hw = getattr(offer, hw_field) if hw_field else None
        if hw is not None and hw not in self.base.hardware:
            raise self.fail(
                f"unknown hardware {hw!r}", (*path, str(hw_field)), hint=_did_you_mean(hw, self.base.hardware)
            )
        key = f"{offer.provider}/{offer.region}"
        if key not in self.regions:
            near = [k for k in self.regions if k.startswith(f"{offer.provider}/")]
            hint = _did_you_mean(key, near) or (
                f"add it under regions: in a YAML user catalog, e.g. {key}: {{geo: us-east, lat: 39.0, lon: -77.5, "
                f"label: ...}}"
            )
            raise self.fail(f"unknown region {key!r}", (*path, "region"), hint=hint)
        self.index[offer.id] = len(self.offers)
        self.offers.append(offer)
        self.own.update((offer.id, k) for k in _price_keys(offer))


def _prices(offer: AnyOffer) -> list[Price]:
    if isinstance(offer, GpuOffer):
        return list(offer.prices.values())
    if isinstance(offer, MacOffer):
        return [p.price for p in offer.plans]
    return [offer.input_usd_per_mtok, offer.output_usd_per_mtok]


def _price_keys(offer: AnyOffer) -> list[str]:
    if isinstance(offer, GpuOffer):
        return list(offer.prices)
    if isinstance(offer, MacOffer):
        return [p.unit for p in offer.plans]
    return list(_API_SIDES)


def _unit(offer: AnyOffer, key: str) -> str:
    if isinstance(offer, GpuOffer):
        return "hour"
    if isinstance(offer, MacOffer):
        return key
    return f"M {key} tokens"


def apply_user_catalog(base: Catalog, user: UserCatalog) -> Catalog:
    """A new catalog: ``base`` with ``user`` layered on (see the module docstring for the order). Pure."""
    layer = _Layer(base, user)
    spec = user.spec
    for key, region in spec.regions.items():
        if key in layer.regions:
            raise layer.fail(
                f"region {key!r} is already in the catalog", ("regions", key), key=True, hint="remove it here"
            )
        layer.regions[key] = Region(key=key, **region.model_dump())
    for i, offer in enumerate(user.offers):
        layer.add(offer, ("offers", i), "id")
    for i, pool in enumerate(spec.pools):
        layer.add(_pool_offer(layer, pool, i), ("pools", i), "name")
    for i, ov in enumerate(spec.overrides):
        _override(layer, ov, i)
    _discount_all(layer)
    description = f"{base.description}; with {user.name}" if base.description else f"with {user.name}"
    fields = {name: getattr(base, name) for name in Catalog.model_fields}
    try:
        return Catalog.model_validate(
            {**fields, "offers": layer.offers, "regions": layer.regions, "description": description}
        )
    except ValidationError as exc:  # pragma: no cover - the checks above catch what the model checks
        first = exc.errors(include_url=False)[0]
        raise CatalogError(str(first["msg"]).removeprefix("Value error, "), location=user.locate(())) from None


def _pool_offer(layer: _Layer, pool: PoolSpec, i: int) -> GpuOffer:
    user, spec = layer.user, layer.user.spec
    hardware = layer.base.hardware.get(pool.accelerator)
    if hardware is None:
        raise layer.fail(
            f"unknown hardware {pool.accelerator!r}",
            ("pools", i, "accelerator"),
            hint=_did_you_mean(pool.accelerator, layer.base.hardware),
        )
    source = pool.source or spec.source
    as_of = pool.as_of or spec.as_of
    assert source is not None  # checked when the file was read
    assert as_of is not None
    instances = pool.accelerators // pool.per_instance
    if pool.usd_per_accelerator_hour is None:
        price = Price(
            usd=0.0,
            source=source,
            as_of=as_of,
            basis=ZERO_MARGINAL,
            original=f"private pool at zero marginal cost ({user.name})",
        )
    else:
        rate = pool.usd_per_accelerator_hour
        price = Price(
            usd=_tidy(rate * pool.per_instance),
            source=source,
            as_of=as_of,
            basis=pool.basis,
            original=f"USD {rate:g}/accelerator-hour × {pool.per_instance} per instance ({user.name})",
        )
    notes = pool.notes or (
        f"private pool from {user.name}: {pool.accelerators:,} accelerators = {instances:,} instances "
        f"of {pool.per_instance}"
    )
    return GpuOffer(
        id=pool.id,
        provider=pool.provider,
        region=pool.region,
        instance=pool.instance or pool.name,
        accelerator=pool.accelerator,
        accelerators_per_instance=pool.per_instance,
        accelerator_memory_gb=pool.accelerator_memory_gb or hardware.memory_gb,
        interconnect=pool.interconnect,
        max_instances=instances,
        prices={pool.pricing: price},
        notes=notes,
    )


def _override(layer: _Layer, ov: OverrideSpec, i: int) -> None:
    user, spec = layer.user, layer.user.spec
    at = layer.index.get(ov.offer)
    if at is None:
        hint = _did_you_mean(ov.offer, layer.index) or "`placer catalog list` shows the offers"
        raise layer.fail(f"unknown offer {ov.offer!r}", ("overrides", i, "offer"), hint=hint)
    offer = layer.offers[at]
    source, as_of = ov.source or spec.source, ov.as_of or spec.as_of
    assert source is not None  # checked when the file was read
    assert as_of is not None

    def new_price(key: str, old: Price | None) -> Price:
        layer.own.add((offer.id, key))
        note = (
            f"replaces {old.basis} USD {old.usd:g}/{_unit(offer, key)} ({user.name})"
            if old is not None
            else f"added by {user.name}"
        )
        return Price(usd=ov.prices[key], source=source, as_of=as_of, basis=ov.basis, original=note)

    if isinstance(offer, GpuOffer):
        allowed: Sequence[str] = _PRICING
    elif isinstance(offer, MacOffer):
        allowed = [p.unit for p in offer.plans]
    else:
        allowed = list(_API_SIDES)
    for key in ov.prices:
        if key not in allowed:
            what = {"gpu": "pricing", "mac": "plan unit", "api": "token side"}[offer.kind]
            raise layer.fail(
                f"unknown {what} {key!r} for {offer.kind} offer {offer.id}; expected {', '.join(allowed)}",
                ("overrides", i, "prices", key),
                key=True,
                hint=_did_you_mean(key, allowed),
            )
    updated: AnyOffer
    if isinstance(offer, GpuOffer):
        prices: dict[str, Price] = {str(k): p for k, p in offer.prices.items()}
        for key in ov.prices:
            prices[key] = new_price(key, prices.get(key))
        updated = offer.model_copy(update={"prices": prices})
    elif isinstance(offer, MacOffer):
        plans = [
            p.model_copy(update={"price": new_price(p.unit, p.price)}) if p.unit in ov.prices else p
            for p in offer.plans
        ]
        updated = offer.model_copy(update={"plans": plans})
    else:
        update = {_API_SIDES[k]: new_price(k, getattr(offer, _API_SIDES[k])) for k in ov.prices}
        updated = offer.model_copy(update=update)
    layer.offers[at] = updated


def _discount_all(layer: _Layer) -> None:
    discounts = layer.user.spec.discounts
    providers = {o.provider for o in layer.offers}
    for provider in discounts:
        if provider not in providers:
            raise layer.fail(
                f"unknown provider {provider!r}",
                ("discounts", provider),
                key=True,
                hint=_did_you_mean(provider, providers) or f"providers: {', '.join(sorted(providers))}",
            )
    for at, offer in enumerate(layer.offers):
        fraction = discounts.get(offer.provider, 0.0)
        if fraction:
            layer.offers[at] = _discounted(layer, offer, fraction)


def _discounted(layer: _Layer, offer: AnyOffer, fraction: float) -> AnyOffer:
    name = layer.user.name

    def cut(key: str, old: Price) -> Price:
        if (offer.id, key) in layer.own or old.basis == ZERO_MARGINAL:
            return old
        note = f"{old.basis} USD {old.usd:g}/{_unit(offer, key)} less {fraction * 100:g} % ({name})"
        if old.original:
            note += f"; {old.original}"
        return old.model_copy(update={"usd": _tidy(old.usd * (1 - fraction)), "original": note})

    if isinstance(offer, GpuOffer):
        return offer.model_copy(update={"prices": {k: cut(k, p) for k, p in offer.prices.items()}})
    if isinstance(offer, MacOffer):
        plans = [p.model_copy(update={"price": cut(p.unit, p.price)}) for p in offer.plans]
        return offer.model_copy(update={"plans": plans})
    return offer.model_copy(update={attr: cut(side, getattr(offer, attr)) for side, attr in _API_SIDES.items()})


# --- composing -------------------------------------------------------------------------------------


def load_catalog_file(path: str | Path) -> Catalog:
    """A catalog JSON file, with ``file:line:col`` for schema errors too (the loader gives only the field)."""
    try:
        return load_catalog(path)
    except CatalogError as exc:
        if exc.location is None or exc.location.line is not None:
            raise
        located = _locate_json_error(Path(path), exc)
        if located is None:
            raise
        raise located from None


def _locate_json_error(path: Path, exc: CatalogError) -> CatalogError | None:
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
        Catalog.model_validate(data)
    except ValidationError as bad:
        try:
            doc = parse_yaml(text, str(path), CatalogError)  # JSON is YAML: positions for every value
        except CatalogError:
            return None
        if not bad.errors(include_url=False)[0]["loc"]:  # a catalog-level check: find the offer it names
            return CatalogError(exc.message, location=doc.locate(_offer_path(data, exc.message)), hint=exc.hint)

        def untagged(where: Sequence[str | int], *, key: bool = False) -> SourceLocation:
            where = list(where)
            if len(where) >= 3 and where[0] == "offers" and where[2] in _OFFER_MODELS:
                del where[2]  # the discriminator tag pydantic adds to the path
            return doc.locate(where, key=key)

        error = validation_error(bad, _Delegate(str(path), text, data, locator=untagged), CatalogError, Catalog)
        return CatalogError(error.message, location=error.location, hint=error.hint)
    except (OSError, ValueError):
        return None
    return None


def _offer_path(data: Any, message: str) -> list[str | int]:
    """The offer a catalog-level message ("offer 'x' names unknown hardware …") is about."""
    match = re.search(r"offer (?:id )?'([^']+)'", message)
    offers = data.get("offers") if isinstance(data, dict) else None
    if not match or not isinstance(offers, list):
        return []
    hits = [i for i, o in enumerate(offers) if isinstance(o, dict) and o.get("id") == match.group(1)]
    if not hits:
        return []
    if message.startswith("duplicate"):
        return ["offers", hits[-1], "id"]
    field_name = "region" if "region" in message else "accelerator" if "accelerator" in offers[hits[0]] else "chip"
    return ["offers", hits[0], field_name if "unknown" in message else "id"]


def compose_catalog(files: Sequence[str | Path], base: Catalog | None = None) -> Catalog:
    """The catalog ``--catalog FILE …`` describes: a ``.json`` replaces the base (default: the embedded catalog),
    then ``.yaml``/``.yml``/``.csv`` user catalogs layer on, in order."""
    catalog = base
    layered: list[str] = []
    seen_json: str | None = None
    for f in files:
        name = str(f)
        suffix = Path(f).suffix.lower()
        if suffix == ".json":
            if seen_json or layered:
                first = seen_json or layered[0]
                raise UsageError(
                    f"--catalog {name}: a catalog JSON replaces the base, so it must come first and only once "
                    f"(after {first})"
                )
            seen_json = name
            catalog = load_catalog_file(f)
        elif suffix in USER_SUFFIXES:
            layered.append(name)
            catalog = apply_user_catalog(catalog or embedded_catalog(), load_user_catalog(f))
        else:
            raise CatalogError(
                f"unknown catalog file type {suffix or '(no suffix)'!r}: expected .json, .yaml, .yml or .csv",
                location=SourceLocation(name),
            )
    return catalog if catalog is not None else embedded_catalog()
