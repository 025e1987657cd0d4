"""``placer replan PROFILES…``: re-plan a fleet on one catalog, show what moved, gate it like ``placer check``.

Profiles are files, directories (their *.yaml, *.yml) or quoted globs. ``--jobs`` plans in parallel
(forked workers share the catalog), ``--shard I/N`` plans only this machine's share of the fleet (a stable
hash of each path), and ``--merge`` joins the shards' JSON reports into one. The report goes to stdout (or
--output); timings and diagnostics go to stderr. Exit codes are the gate's: 3 > 6 > 4 > 5 > 0, and 1 when
placer itself failed on a profile (that profile is reported; the others are still planned).
"""

from __future__ import annotations

import dataclasses
import enum
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from placer.cli.handler import errors_to_exit_codes, want_traceback
from placer.cli.options import CatalogOption, MaxAgeOption, PluginsOption, TracebackOption

if TYPE_CHECKING:
    from placer.batch import ReplanReport


class Format(str, enum.Enum):
    table = "table"
    json = "json"
    markdown = "markdown"


def _render(report: ReplanReport, output_format: Format, output: Path | None) -> None:
    from placer.atomic import write_atomic

    if output_format is Format.json:
        from placer.render.json_out import to_json

        text = to_json(report)
    elif output_format is Format.markdown:
        from placer.render.replan_view import markdown

        text = markdown(report)
    elif output is None:
        from placer.render.replan_view import print_replan

        print_replan(report)
        return
    else:
        from placer.render.replan_view import replan_text

        text = replan_text(report)
    if output is None:
        typer.echo(text, nl=False)
    else:
        write_atomic(output, text)


def _diagnostics(report: ReplanReport) -> None:
    for e in report.profiles:
        if e.status in ("invalid", "unavailable", "error"):
            print(f"placer: error: {e.error}", file=sys.stderr)
            for detail in e.details:
                print(f"  {detail}", file=sys.stderr)


def replan(
    profiles: Annotated[
        list[str],
        typer.Argument(
            help="Profiles: files, directories (their *.yaml, *.yml) or quoted globs; with --merge, shard reports.",
            show_default=False,
        ),
    ],
    merge: Annotated[
        bool, typer.Option("--merge", help="Join the JSON reports of shards (given as arguments) into one.")
    ] = False,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", min=1, help="Worker processes (default: the CPUs available).")
    ] = None,
    shard: Annotated[
        str | None,
        typer.Option(help="Plan only shard I of N (1-based, e.g. 2/4): a stable split by profile path."),
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(help="An earlier replan or check JSON report (or plans) to diff against: what moved."),
    ] = None,
    max_increase_pct: Annotated[
        float | None, typer.Option(min=0, help="Fail when a profile costs more than this % over the baseline.")
    ] = None,
    max_increase_usd: Annotated[
        float | None, typer.Option(min=0, help="Fail when a profile costs more than this many USD over the baseline.")
    ] = None,
    policy: Annotated[
        Path | None,
        typer.Option(help="Budget policy (YAML): rules of {match: GLOB, max_usd | max_monthly_usd}, first match wins."),
    ] = None,
    max_usd: Annotated[
        float | None, typer.Option(help="Budget per run for training profiles (USD); beats policy and profile.")
    ] = None,
    max_monthly_usd: Annotated[
        float | None,
        typer.Option(help="Budget per month for inference and apple-build profiles (USD); beats policy and profile."),
    ] = None,
    warn_only: Annotated[bool, typer.Option("--warn-only", help="Over budget or threshold: warn and exit 0.")] = False,
    alternatives: Annotated[int, typer.Option(min=0, max=50, help="Alternatives kept per profile in the report.")] = 3,
    exclude: Annotated[
        list[str] | None, typer.Option(help="Skip profiles matching this glob; repeatable.", show_default=False)
    ] = None,
    output_format: Annotated[Format, typer.Option("--format", "-f", help="Report format.")] = Format.table,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report to this file instead of stdout.")
    ] = None,
    progress: Annotated[
        bool | None,
        typer.Option(
            "--progress/--no-progress",
            help="Progress bar (default: on a terminal, off in CI or piped).",
            show_default=False,
        ),
    ] = None,
    catalog: CatalogOption = None,
    plugins: PluginsOption = None,
    max_age_days: MaxAgeOption = None,
    show_traceback: TracebackOption = False,
) -> None:
    """Re-plan many profiles on one catalog: what moved since a baseline, over-budget profiles, exit code."""
    from placer.baseline import Thresholds, read_baseline
    from placer.batch import ReplanOptions, default_jobs, merge_reports, parse_shard, read_report
    from placer.batch import replan as run
    from placer.budget import FlagBudgets, read_policy
    from placer.cli.check import expand_profiles
    from placer.errors import UsageError
    from placer.planner import PlanOptions
    from placer.render.progress import count_progress, wants_progress

    with errors_to_exit_codes(want_traceback(show_traceback), []):
        thresholds = Thresholds(max_increase_pct, max_increase_usd)
        if thresholds.any and baseline is None:
            raise UsageError("--max-increase-pct and --max-increase-usd compare with a baseline: add --baseline")
        for flag, value in (("--max-usd", max_usd), ("--max-monthly-usd", max_monthly_usd)):
            if value is not None and not (value > 0 and value < float("inf")):
                raise UsageError(f"{flag} must be a positive number, got {value:g}")
        options = ReplanOptions(
            flags=FlagBudgets(max_usd, max_monthly_usd),
            policy=read_policy(policy) if policy else None,
            baseline=read_baseline(baseline) if baseline else None,
            thresholds=thresholds,
            warn_only=warn_only,
            jobs=jobs or default_jobs(),
            shard=parse_shard(shard) if shard else None,
        )
        started = time.perf_counter()
        if merge:
            if shard:
                raise UsageError("--merge joins shard reports; it takes no --shard")
            report = merge_reports([(p, read_report(p)) for p in profiles], options)
            what = f"merged {len(profiles)} shard reports ({report.totals.profiles:,} profiles)"
        else:
            from placer.cli.sources import effective_catalog

            entries = expand_profiles(profiles, exclude or [])
            paths = [p for p, problem in entries if not problem]
            problems = {p: problem for p, problem in entries if problem}
            assembled, sources, warnings = effective_catalog(catalog, plugins, max_age_days)
            for warning in warnings:
                print(f"placer: warning: {warning}", file=sys.stderr)
            options = dataclasses.replace(
                options, plan_options=PlanOptions(alternatives=alternatives, sources=sources, warnings=warnings)
            )
            mine = sum(1 for p in paths if options.shard is None or options.shard.holds(p))
            show = wants_progress() if progress is None else progress
            with count_progress(show, mine, "re-planning") as advance:
                report = run(paths, assembled, options, problems=problems, progress=advance)
            t = report.totals
            seconds = time.perf_counter() - started
            rate = t.profiles / seconds if seconds > 0 else 0.0
            what = (
                f"re-planned {t.profiles:,} profiles × {report.catalog.offers:,} offers in {seconds:.2f} s "
                f"({rate:,.0f} profiles/s, {t.pairs / seconds / 1e6 if seconds > 0 else 0:,.1f} M pairs/s; "
                f"{t.examined:,} of {t.candidates:,} candidate pairs priced exactly) with {options.jobs} job(s)"
            )
        _render(report, output_format, output)
        _diagnostics(report)
        print(f"placer: {what}", file=sys.stderr)
        if output is not None:
            print(f"placer: wrote the {output_format.value} report to {output}", file=sys.stderr)
    raise typer.Exit(report.exit_code)
