"""The user's config file: catalogs, plugins and the price-age limit set once instead of on every command.

Found at $PLACER_CONFIG, else $XDG_CONFIG_HOME/placer/config.yaml, else ~/.config/placer/config.yaml; an
absent file is an empty config. Relative catalog paths are relative to the config file. Flags and environment
variables win over the file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from placer.errors import InputError, SourceLocation
from placer.field_errors import describe, validation_error
from placer.yamldoc import parse_yaml, read_text

ENV = "PLACER_CONFIG"


class ConfigError(InputError):
    """The config file is invalid (exit 3)."""


def _catalog_path(value: object) -> object:
    if not isinstance(value, str):
        raise ValueError(f"a catalog is a file path, got {describe(value)}")
    if not value.strip():
        raise ValueError("a catalog path cannot be empty")
    return value


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    catalogs: list[Annotated[Path, BeforeValidator(_catalog_path)]] = Field(default_factory=list)
    plugins: str | None = None  # comma-separated names, "all" or "none"
    max_price_age_days: int | None = Field(default=None, ge=0, le=36500)  # a century: more is a typo


def config_path() -> Path:
    explicit = os.environ.get(ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "placer" / "config.yaml"


def load_config(path: Path | None = None) -> Config:
    # $PLACER_CONFIG as written: Path("https://u:p@h/c.yaml") collapses "//" and the URL's password escapes redaction
    name = str(path) if path is not None else (os.environ.get(ENV) or str(config_path()))
    path = path or config_path()
    if not path.exists():
        if os.environ.get(ENV):
            raise ConfigError("no such file", location=SourceLocation(name), hint=f"set by ${ENV}")
        return Config()
    doc = parse_yaml(read_text(name, ConfigError), name, ConfigError)
    if not isinstance(doc.data, dict):
        raise ConfigError("expected a mapping of config keys (catalogs, plugins, ...)", location=doc.locate(()))
    try:
        config = Config.model_validate(doc.data)
    except ValidationError as exc:
        raise validation_error(exc, doc, ConfigError, Config) from None
    return config.model_copy(update={"catalogs": [(path.parent / c) for c in config.catalogs]})
