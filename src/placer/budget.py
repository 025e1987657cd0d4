"""Where a workload's budget comes from, for the CI gate (placer.gate) and its baselines (placer.baseline).

A budget comes from the command line (``--max-usd`` per run for training, ``--max-monthly-usd`` per month for
inference and Apple builds); else from the first rule of a policy file whose glob matches the profile's path, or
the profile's own ``budget:``, whichever is stricter (a catch-all policy never loosens a team's budget). The
worst exit code wins, in the order 3 > 6 > 4 > 5 > 0.

Pure apart from reading the policy file it is handed: no printing, no clock, no network.
"""

from __future__ import annotations

import math
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from placer.errors import ExitCode, InputError, UsageError
from placer.field_errors import validation_error
from placer.profile import PositiveNumber
from placer.yamldoc import YamlDocument, parse_yaml, read_text

REPORT_SCHEMA_VERSION = 1
DECIMALS = 4  # reports round money to this many decimals (placer.render.json_out)
Period = Literal["run", "month"]
FLAG_FOR: dict[str, str] = {"run": "--max-usd", "month": "--max-monthly-usd"}
POLICY_KEY_FOR: dict[str, str] = {"run": "max_usd", "month": "max_monthly_usd"}
# the worst outcome decides the exit code: a broken input hides every verdict, then missing prices, then a
# workload that cannot run anywhere, then a cost over its budget or threshold
EXIT_PRIORITY = (
    ExitCode.INVALID_INPUT,
    ExitCode.PRICES_UNAVAILABLE,
    ExitCode.NO_FEASIBLE,
    ExitCode.OVER_BUDGET,
    ExitCode.OK,
)


class PolicyError(InputError):
    """A budget policy file is invalid, or one of its rules does not fit a profile it matches (exit 3)."""


class BaselineError(InputError):
    """A baseline file is not the JSON of a placer plan or check (exit 3)."""


def period_for(kind: str) -> Period:
    return "run" if kind == "training" else "month"


def usd(value: float) -> str:
    """$1,234 from a thousand up, $12.34 below (the sign before the $)."""
    shown = round(value) if abs(value) >= 999.995 else round(value, 2)
    sign = "-" if shown < 0 else ""
    return f"{sign}${abs(shown):,.0f}" if abs(shown) >= 1000 else f"{sign}${abs(shown):,.2f}"


def signed_usd(value: float) -> str:
    return ("+" if value >= 0 else "") + usd(value)


def pct(value: float) -> str:
    value = value or 0.0  # never "-0.0%"
    return f"{value:.1f}%" if abs(value) < 10 else f"{value:,.0f}%"


def signed_pct(value: float) -> str:
    return ("+" if value >= 0 else "") + pct(value)


def normalize_path(path: str) -> str:
    """A profile path as reports and globs see it: forward slashes, no ``./``."""
    return posixpath.normpath(path.replace("\\", "/"))


def worst_exit(codes: Iterable[int]) -> ExitCode:
    rank = {code: i for i, code in enumerate(EXIT_PRIORITY)}
    return min((ExitCode(c) for c in codes), key=lambda c: rank.get(c, -1), default=ExitCode.OK)


# --- where a budget comes from -----------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PolicyRule(_Strict):
    match: str = Field(min_length=1)
    max_usd: PositiveNumber | None = None  # per run: training
    max_monthly_usd: PositiveNumber | None = None  # per month: inference, apple-build

    @model_validator(mode="after")
    def _some_limit(self) -> PolicyRule:
        if self.max_usd is None and self.max_monthly_usd is None:
            raise ValueError("a rule needs max_usd (per run, training) or max_monthly_usd (per month), or both")
        return self

    def limit(self, period: Period) -> float | None:
        return self.max_usd if period == "run" else self.max_monthly_usd


class Policy(_Strict):
    rules: list[PolicyRule] = Field(min_length=1)


def glob_regex(pattern: str) -> re.Pattern[str]:
    """``*`` and ``?`` stay within a path segment, ``**/`` spans directories, ``[...]`` is a class."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        ch = pattern[i]
        end = pattern.find("]", i + 2) if ch == "[" else -1
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif end > 0:
            body = pattern[i + 1 : end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body).replace("\\", "\\\\") + "]")
            i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out) + r"\Z")


def glob_matches(pattern: str, path: str) -> bool:
    """Match a profile path relative to the working directory; a pattern without ``/`` matches the file name."""
    path = normalize_path(path)
    pattern = pattern.strip()
    pattern = pattern[2:] if pattern.startswith("./") else pattern
    target = path if "/" in pattern else posixpath.basename(path)
    return glob_regex(pattern).match(target) is not None


@dataclass(frozen=True)
class PolicyDocument:
    policy: Policy
    yaml: YamlDocument

    @property
    def path(self) -> str:
        return self.yaml.filename

    def rule_for(self, profile_path: str) -> tuple[int, PolicyRule] | None:
        """The first rule whose glob matches (first match wins)."""
        return next(((i, r) for i, r in enumerate(self.policy.rules) if glob_matches(r.match, profile_path)), None)


def parse_policy(text: str, filename: str = "<policy>") -> PolicyDocument:
    doc = parse_yaml(text, filename, PolicyError)
    if not isinstance(doc.data, dict):
        raise PolicyError("expected a mapping with a 'rules:' list", location=doc.locate(()))
    try:
        policy = Policy.model_validate(doc.data)
    except ValidationError as exc:
        raise validation_error(exc, doc, PolicyError, Policy) from None
    return PolicyDocument(policy, doc)


def read_policy(path: str | Path) -> PolicyDocument:
    return parse_policy(read_text(path, PolicyError), str(path))


@dataclass(frozen=True)
class FlagBudgets:
    max_usd: float | None = None  # per run, training
    max_monthly_usd: float | None = None  # per month, inference and apple-build

    def limit(self, period: Period) -> float | None:
        return self.max_usd if period == "run" else self.max_monthly_usd

    def validate(self) -> None:
        """A budget flag is a finite number greater than 0."""
        for name, value in (("max_usd", self.max_usd), ("max_monthly_usd", self.max_monthly_usd)):
            if value is not None and (not math.isfinite(value) or value <= 0):
                raise UsageError(f"--{name.replace('_', '-')} must be a finite number greater than 0, got {value:g}")

    def check(self, kinds: Iterable[str]) -> None:
        """Each flag applies to the profiles of its period; one that applies to none of them is a usage error."""
        self.validate()
        periods = {period_for(k) for k in kinds}
        if not periods:
            return
        if self.max_usd is not None and "run" not in periods:
            raise UsageError(
                "--max-usd is a per-run budget for training profiles, and none of the profiles is training",
                hint="inference and apple-build profiles are budgeted per month: use --max-monthly-usd",
            )
        if self.max_monthly_usd is not None and "month" not in periods:
            raise UsageError(
                "--max-monthly-usd is a per-month budget for inference and apple-build profiles, and every "
                "profile is training",
                hint="training profiles are budgeted per run: use --max-usd",
            )


@dataclass(frozen=True)
class BudgetLimit:
    max_usd: float
    period: Period
    source: Literal["flag", "policy", "profile"]
    origin: str  # in words: "--max-usd", "budget-policy.yaml rule 2 (profiles/*.yaml)", "the profile (budget.max_usd)"


def resolve_budget(
    kind: str, path: str, profile_max_usd: float | None, flags: FlagBudgets, policy: PolicyDocument | None
) -> BudgetLimit | None:
    """Command line first; else the stricter of the policy (its first matching rule) and the profile's own
    budget, so a catch-all policy rule can never loosen a budget a team set; None when no budget applies."""
    period = period_for(kind)
    flag = flags.limit(period)
    if flag is not None:
        return BudgetLimit(flag, period, "flag", FLAG_FOR[period])
    hit = policy.rule_for(path) if policy else None
    if policy is not None and hit is not None:
        i, rule = hit
        limit = rule.limit(period)
        if limit is None:
            raise PolicyError(
                f"rule {i + 1} (match {rule.match!r}) matches {path}, {'an' if kind[0] in 'aeiou' else 'a'} {kind} "
                f"profile budgeted per {period}, "
                f"but sets only {POLICY_KEY_FOR['month' if period == 'run' else 'run']}",
                location=policy.yaml.locate(("rules", i, "match")),
                hint=f"add {POLICY_KEY_FOR[period]}: to this rule, or put a rule for {path} before it",
            )
        if profile_max_usd is not None and profile_max_usd < limit:
            return BudgetLimit(
                profile_max_usd, period, "profile", "the profile (budget.max_usd, stricter than the policy)"
            )
        return BudgetLimit(limit, period, "policy", f"{policy.path} rule {i + 1} ({rule.match})")
    if profile_max_usd is not None:
        return BudgetLimit(profile_max_usd, period, "profile", "the profile (budget.max_usd)")
    return None
