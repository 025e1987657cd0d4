"""``placer replan PROFILES…``: re-plan a fleet on one catalog, show what moved, gate it like ``placer check``.

Profiles are files, directories (their *.yaml, *.yml) or quoted globs. ``--jobs`` plans in parallel
(forked workers share the catalog), ``--shard I/N`` plans only this machine's share of the fleet (a stable
hash of each path), and ``--merge`` joins the shards' JSON reports into one. The report goes to stdout (or
--output); timings and diagnostics go to stderr. Exit codes are the gate's: 3 > 6 > 4 > 5 > 0, and 1 when
placer itself failed on a profile (that profile is reported; the others are still planned).
"""

from __future__ import annotations

import dataclasses
import sys
import time
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

if TYPE_CHECKING:
    from placer.replan_report import ReplanReport


def _render(report: ReplanReport, output_format: ReportFormat, output: Path | None) -> None:
    from placer.render import replan_view as view

    emit(
        report,
        output_format,
        output,
        markdown=lambda: view.markdown(report),
        table=lambda: view.print_replan(report),
        text=lambda: view.replan_text(report),
    )


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
    max_increase_pct: MaxIncreasePctOption = None,
    max_increase_usd: MaxIncreaseUsdOption = None,
    policy: PolicyOption = None,
    max_usd: MaxUsdOption = None,
    max_monthly_usd: MaxMonthlyUsdOption = None,
    warn_only: WarnOnlyOption = False,
    alternatives: Annotated[int, typer.Option(min=0, max=50, help="Alternatives kept per profile in the report.")] = 3,
    exclude: ExcludeOption = None,
    output_format: Annotated[ReportFormat, typer.Option("--format", "-f", help="Report format.")] = ReportFormat.table,
    output: OutputOption = None,
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
    from placer.batch import ReplanOptions, default_jobs, parse_shard
    from placer.batch import replan as run
    from placer.budget import FlagBudgets, read_policy
    from placer.cli.check import expand_profiles
    from placer.collector import paused
    from placer.errors import UsageError
    from placer.planner import PlanOptions
    from placer.render.progress import count_progress, wants_progress
    from placer.replan_report import merge_reports, read_report

    with errors_to_exit_codes(want_traceback(show_traceback), []):
        thresholds = Thresholds(max_increase_pct, max_increase_usd)
        if thresholds.any and baseline is None:
            raise UsageError("--max-increase-pct and --max-increase-usd compare with a baseline: add --baseline")
        flags = FlagBudgets(max_usd, max_monthly_usd)
        flags.validate()
        options = ReplanOptions(
            flags=flags,
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
        with paused():  # rendering makes no cycles: see placer.collector
            _render(report, output_format, output)
        _diagnostics(report)
        print(f"placer: {what}", file=sys.stderr)
        if output is not None:
            print(f"placer: wrote the {output_format.value} report to {output}", file=sys.stderr)
    raise typer.Exit(report.exit_code)
