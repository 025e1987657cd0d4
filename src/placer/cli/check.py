"""``placer check PROFILES…``: the CI budget gate over many profiles.

Plans every profile (files, directories of *.yaml/*.yml, or quoted globs, in sorted order) on one catalog,
compares each plan with its budget (command line > policy file > profile) and an optional baseline, and exits
with the worst outcome: 3 invalid input > 6 prices unavailable > 4 no feasible placement > 5 over budget (or
past a baseline threshold) > 0. The report goes to stdout (or --output); diagnostics, --warn-only warnings and,
under GitHub Actions, workflow-command annotations go to stderr; $GITHUB_STEP_SUMMARY gets the Markdown.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from placer.cli.handler import errors_to_exit_codes, want_traceback
from placer.cli.options import (
    CatalogOption,
    ExcludeOption,
    MaxAgeOption,
    MaxIncreasePctOption,
    MaxIncreaseUsdOption,
    MaxMonthlyUsdOption,
    MaxUsdOption,
    OutputOption,
    PluginsOption,
    PolicyOption,
    TracebackOption,
    WarnOnlyOption,
)
from placer.cli.reports import ReportFormat, emit
from placer.errors import InputError, PlacerError, ProfileError, SourceLocation

if TYPE_CHECKING:
    from placer.gate import CheckReport, ProfileInput

SUMMARY_ENV = "GITHUB_STEP_SUMMARY"


def _shown(path: Path, cwd: Callable[[], Path]) -> str:
    """A path as reports, globs and annotations use it: relative to the working directory when inside it."""
    from placer.budget import normalize_path

    if path.is_absolute() and path.is_relative_to(cwd()):
        path = path.relative_to(cwd())
    return normalize_path(path.as_posix())


def expand_profiles(args: list[str], exclude: list[str]) -> list[tuple[str, str | None]]:
    """(path, problem) per profile: files as given, YAML files directly in directories, glob matches."""
    import functools
    import glob

    from placer.budget import glob_matches

    found: dict[str, str | None] = {}
    cwd = functools.cache(Path.cwd)  # once, not per file (a fleet is thousands), and only for an absolute path
    for arg in args:
        path = Path(arg)
        if path.is_dir():
            files = [f for f in path.iterdir() if f.suffix.lower() in (".yaml", ".yml") and f.is_file()]
            problem = "no .yaml or .yml files in this directory"
        elif any(ch in arg for ch in "*?[") and not path.exists():
            files = [Path(f) for f in glob.glob(arg, recursive=True) if Path(f).is_file()]
            problem = "no file matches this pattern"
        else:
            files, problem = [path], ""
        if not files:
            found.setdefault(arg, problem)
        for f in files:
            found.setdefault(_shown(f, cwd), None)
    kept = {p: why for p, why in found.items() if not any(glob_matches(x, p) for x in exclude)}
    return sorted(kept.items())


def _read(entries: list[tuple[str, str | None]]) -> list[ProfileInput]:
    from placer.gate import ProfileInput
    from placer.profile import read_profile

    items = []
    for path, problem in entries:
        if problem:
            items.append(ProfileInput(path, error=ProfileError(problem, location=SourceLocation(path))))
            continue
        try:
            items.append(ProfileInput(path, document=read_profile(path)))
        except ProfileError as exc:
            items.append(ProfileInput(path, error=exc))
    return items


def _append_summary(report: CheckReport) -> None:
    """Append the Markdown to the job summary: what the file held stays first, it keeps its mode, and no folder
    is created. Written atomically (old content + ours), so a kill leaves the old summary, never half of ours.
    Failing to write is a warning, never a change to the verdict."""
    from placer.atomic import write_atomic
    from placer.render.markdown import markdown

    target = Path(os.environ[SUMMARY_ENV])
    try:
        old = target.read_bytes() if target.exists() else b""
        text = "\n" + markdown(report) if old else markdown(report)
        write_atomic(target, old + text.encode("utf-8"), make_parents=False)
    except (OSError, UnicodeDecodeError, PlacerError) as exc:
        print(f"placer: warning: cannot append to ${SUMMARY_ENV} ({target}): {exc}", file=sys.stderr)


def _diagnostics(report: CheckReport, github: bool) -> None:
    for r in report.profiles:
        if r.status in ("invalid", "unavailable", "error"):
            print(f"placer: error: {r.error}", file=sys.stderr)
            for detail in r.details:
                print(f"  {detail}", file=sys.stderr)
        elif r.gate == "warn":
            for reason in r.reasons:
                print(f"placer: warning: {r.file}: {reason} (--warn-only: not failing)", file=sys.stderr)
    if github:
        from placer.render.annotations import check_annotations

        for line in check_annotations(report):
            print(line, file=sys.stderr)


def _render(report: CheckReport, output_format: ReportFormat, output: Path | None) -> None:
    """The report on stdout, or written atomically to ``output``."""
    from placer.render import markdown as view

    emit(
        report,
        output_format,
        output,
        markdown=lambda: view.markdown(report),
        table=lambda: view.print_check(report),
        text=lambda: view.check_text(report),
    )


def check(
    profiles: Annotated[
        list[str],
        typer.Argument(help="Profiles: files, directories (their *.yaml, *.yml) or quoted globs.", show_default=False),
    ],
    policy: PolicyOption = None,
    max_usd: MaxUsdOption = None,
    max_monthly_usd: MaxMonthlyUsdOption = None,
    baseline: Annotated[
        Path | None,
        typer.Option(help="An earlier `placer check --format json` report or `placer plan --format json` to diff."),
    ] = None,
    max_increase_pct: MaxIncreasePctOption = None,
    max_increase_usd: MaxIncreaseUsdOption = None,
    warn_only: WarnOnlyOption = False,
    exclude: ExcludeOption = None,
    output_format: Annotated[ReportFormat, typer.Option("--format", "-f", help="Report format.")] = ReportFormat.table,
    output: OutputOption = None,
    catalog: CatalogOption = None,
    plugins: PluginsOption = None,
    max_age_days: MaxAgeOption = None,
    show_traceback: TracebackOption = False,
) -> None:
    """Gate profiles on their budgets (and a baseline): exit 5 when one is over, with the reasons."""
    from placer.baseline import Thresholds, read_baseline
    from placer.budget import FlagBudgets, read_policy
    from placer.cli.sources import effective_catalog
    from placer.errors import UsageError
    from placer.gate import CheckOptions, check_profiles
    from placer.planner import PlanOptions

    github = os.environ.get("GITHUB_ACTIONS") == "true"
    with errors_to_exit_codes(want_traceback(show_traceback), []):
        try:
            thresholds = Thresholds(max_increase_pct, max_increase_usd)
            if thresholds.any and baseline is None:
                raise UsageError("--max-increase-pct and --max-increase-usd compare with a baseline: add --baseline")
            options = CheckOptions(
                flags=FlagBudgets(max_usd, max_monthly_usd),
                policy=read_policy(policy) if policy else None,
                baseline=read_baseline(baseline) if baseline else None,
                thresholds=thresholds,
                warn_only=warn_only,
            )
            items = _read(expand_profiles(profiles, exclude or []))
            assembled, sources, warnings = effective_catalog(catalog, plugins, max_age_days)
            for warning in warnings:
                print(f"placer: warning: {warning}", file=sys.stderr)
            options = dataclasses.replace(options, plan_options=PlanOptions(sources=sources))
            report = check_profiles(items, assembled, options)
        except PlacerError as exc:
            if github:
                from placer.render.annotations import error_annotation

                where = exc.location if isinstance(exc, InputError) else None
                file, line = (where.file, where.line) if where is not None else (None, None)
                print(error_annotation(exc.message, file, line), file=sys.stderr)
            raise
        _render(report, output_format, output)
        _diagnostics(report, github)
        if os.environ.get(SUMMARY_ENV):
            _append_summary(report)
        if output is not None:
            print(f"placer: wrote the {output_format.value} report to {output}", file=sys.stderr)
    raise typer.Exit(report.exit_code)
