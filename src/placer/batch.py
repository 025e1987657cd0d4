"""Re-planning a fleet: many profiles × one catalog, in parallel, split into shards, diffed against a baseline.

Each profile is shortlisted (placer.shortlist: the chosen placement and its alternatives, exactly as
``placer plan`` ranks them) and judged by the budget gate's rules. A profile that cannot be read or
planned is reported with its path and reason; the others go on. Shards split a fleet by a stable hash of
each profile's path, so every machine of a CI matrix or a job array picks its share without talking to
the others, and ``merge`` joins their reports into one.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace

from pydantic import ValidationError

from placer.budget import normalize_path, resolve_budget
from placer.catalog.models import Catalog
from placer.collector import paused
from placer.errors import ExitCode, PlacerError, ProfileError, SourceLocation, UsageError
from placer.gate import CheckOptions, _failed, evaluate, summarize
from placer.planner import PlanOptions
from placer.profile import Budget, read_profile
from placer.replan_report import CatalogSummary, ReplanEntry, ReplanReport, build_report
from placer.shortlist import Shortlister

# --- shards ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based, as a CI matrix or `--shard 2/4` counts
    count: int

    def holds(self, path: str) -> bool:
        """Whether a profile belongs to this shard: a stable hash of its path, the same on every machine."""
        return zlib.crc32(normalize_path(path).encode("utf-8")) % self.count == self.index - 1


def parse_shard(text: str) -> Shard:
    parts = text.split("/")
    try:
        index, count = (int(p) for p in parts) if len(parts) == 2 else (0, 0)
    except ValueError:
        index = count = 0
    if count < 1 or not 1 <= index <= count:
        raise UsageError(
            f"--shard {text!r} is not I/N with 1 ≤ I ≤ N",
            hint="e.g. --shard 2/4 for the second of four shards (a Kubernetes JOB_COMPLETION_INDEX is I − 1)",
        )
    return Shard(index, count)


# --- planning one profile -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplanOptions(CheckOptions):
    """The gate's options, and how the fleet is split: worker processes and this machine's shard."""

    plan_options: PlanOptions = field(default_factory=lambda: PlanOptions(alternatives=3))
    jobs: int = 1
    shard: Shard | None = None


def _plan_one(path: str, engine: Shortlister, options: ReplanOptions) -> ReplanEntry:
    doc = None
    try:
        doc = read_profile(path)
        profile = doc.profile
        own = profile.budget.max_usd if profile.budget else None
        limit = resolve_budget(profile.kind, path, own, options.flags, options.policy)
        budgeted = profile.model_copy(update={"budget": Budget(max_usd=limit.max_usd) if limit else None})
        found = engine.shortlist(options.datasets.resolve(budgeted).profile, options.plan_options, file=path)
    except PlacerError as exc:
        return ReplanEntry(**_failed(path, exc, doc, None).model_dump())
    on_budget_line = limit is not None and limit.source == "profile"
    line = doc.locate(("budget", "max_usd") if on_budget_line else ("kind",)).line
    # the baseline is applied once the whole fleet is planned (matching by name needs every name)
    result = evaluate(path, found.plan, limit, line, None, replace(options, baseline=None))
    return ReplanEntry(
        **dict(result),  # its fields as they are, not dumped and validated again here: _taken validates the entry
        alternatives=[summarize(p) for p in found.plan.alternatives],
        rejected_summary=found.plan.rejected_summary,
        candidates=found.candidates,
        examined=found.examined,
    )


def _taken(data: dict[str, object]) -> ReplanEntry:
    """A worker's entry, validated as it arrives: one that is not valid (a bug in placer) is that profile's internal
    error, like a bug while planning it, never a lost batch."""
    try:
        return ReplanEntry.model_validate(data)
    except ValidationError as exc:
        return _broken(str(data.get("file")), exc)


def _broken(path: str, exc: BaseException) -> ReplanEntry:
    """A bug in placer while planning one profile: reported as such (exit 1), never a lost batch."""
    message = f"internal error while planning {path}: {type(exc).__name__}: {exc}"
    return ReplanEntry(
        file=path, status="error", gate="fail", exit_code=int(ExitCode.INTERNAL), reasons=[message], error=message
    )


_WORKER: tuple[Shortlister, ReplanOptions] | None = None  # set in the parent before forking; workers inherit it


def _work(chunk: Sequence[str]) -> list[dict[str, object]]:
    assert _WORKER is not None
    engine, options = _WORKER
    out = []
    for path in chunk:
        try:
            entry = _plan_one(path, engine, options)
        except Exception as exc:  # one profile's bug must not sink the fleet
            entry = _broken(path, exc)
        out.append(entry.model_dump())
    if _TRIMMER is not None:
        _TRIMMER.after(len(chunk))
    return out


TRIM_EVERY = 256  # profiles planned between two trims of a process's heap


class _Trimmer:
    """glibc's malloc_trim once at least TRIM_EVERY profiles were planned since the last: not after every chunk,
    as the small chunks at a fleet's end would each pay for faulting the freed pages back in."""

    def __init__(self) -> None:
        self.trim = _malloc_trim()
        self.since = 0

    def after(self, planned: int) -> None:
        self.since += planned
        if self.trim is not None and self.since >= TRIM_EVERY:
            self.trim(0)
            self.since = 0


_TRIMMER: _Trimmer | None = None  # in forked workers


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim: gives the heap's free pages back to the system. None without glibc, whose allocator
    has its own policy."""
    try:
        import ctypes  # noqa: PLC0415 - only a parallel re-plan needs it

        trim: Callable[[int], int] = ctypes.CDLL("libc.so.6").malloc_trim
    except (ImportError, OSError, AttributeError):
        return None
    return trim


def _trimmed_as_it_goes() -> None:
    """In each worker: every TRIM_EVERY profiles, the heap's free pages go back to the system.

    A profile's arrays (tens of thousands of offers, a few hundred KiB each) come from the heap once glibc has
    raised its mmap threshold, and the heap's high-water mark stays: a worker grew by about 100 MiB over a
    10,000-profile fleet. Fixing the threshold low kept memory down but cost a page fault per page of every
    such array (system time rose from 1 s to 3 s per 2,000 profiles); trimming every few hundred profiles keeps
    both down. The parent trims too, as it takes the entries.
    """
    global _TRIMMER  # noqa: PLW0603 - set once in each forked worker
    _TRIMMER = _Trimmer()


TAIL_CHUNK = 16  # profiles: the smallest chunk handed out near the end of a fleet (a tenth of a second's work)


def _chunks(paths: Sequence[str], size: int, jobs: int = 1) -> Iterator[Sequence[str]]:
    """Consecutive chunks of at most ``size``, shrinking near the end (to a quarter of each worker's share of what
    is left, down to TAIL_CHUNK), so the workers finish together: a last full chunk on one worker would leave the
    others idle for its whole length."""
    start = 0
    while start < len(paths):
        step = min(size, max((len(paths) - start) // (4 * jobs), TAIL_CHUNK))
        yield paths[start : start + step]
        start += step


def plan_fleet(
    paths: Sequence[str],
    catalog: Catalog,
    options: ReplanOptions,
    progress: Callable[[int], None] | None = None,
) -> list[ReplanEntry]:
    """Entries in the order of ``paths``. With ``jobs`` > 1, forked workers share the catalog's columns, and this
    process's cyclic garbage collector is off while it takes in their entries (placer.collector)."""
    global _WORKER  # noqa: PLW0603 - handed to forked workers without pickling the catalog
    with paused():  # the market's arrays and lists: no cycles
        engine = Shortlister(catalog)
    _WORKER = (engine, options)
    size = max(1, min(256, len(paths) // (max(1, options.jobs) * 8) or 1))
    entries: list[ReplanEntry] = []
    trimmer = _Trimmer()  # here too: the entries pile up in this process
    try:
        if options.jobs <= 1 or len(paths) <= size:
            for chunk in _chunks(paths, size):
                entries.extend(_taken(e) for e in _work(chunk))
                trimmer.after(len(chunk))
                if progress:
                    progress(len(chunk))
        else:
            context = multiprocessing.get_context("fork")
            # Objects made so far (the catalog, its columns) go to the permanent generation, so the workers'
            # garbage collector never writes to their pages and forked workers keep sharing them.
            options.datasets.prefetch(paths)  # each s3:// dataset listed once, here, not once per worker
            # Unfrozen again in this process only if nothing was frozen before: gc.unfreeze() takes everything
            # out, the caller's own freeze and placer.collector's (keeping_what_is_built) included.
            was_frozen = gc.get_freeze_count() > 0
            gc.freeze()
            with context.Pool(options.jobs, initializer=_trimmed_as_it_goes) as pool:
                if not was_frozen:
                    gc.unfreeze()
                with paused():  # this process only takes in the entries, which hold no cycles
                    for done in pool.imap(_work, _chunks(paths, size, options.jobs)):
                        entries.extend(_taken(e) for e in done)
                        trimmer.after(len(done))
                        if progress:
                            progress(len(done))
    finally:
        _WORKER = None
    return entries


def replan(
    paths: Sequence[str],
    catalog: Catalog,
    options: ReplanOptions,
    *,
    problems: dict[str, str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> ReplanReport:
    """Plan every profile in ``paths`` (those of ``options.shard`` only, when given) and judge the fleet.

    ``problems`` are arguments that named no profile (an empty folder, a glob matching nothing): each is
    reported as an invalid entry, as a bad profile is.
    """
    problems = problems or {}
    mine = [p for p in paths if options.shard is None or options.shard.holds(p)]
    if not paths and not problems:
        raise UsageError("nothing to re-plan: no profiles were given, or --exclude left none")
    entries = plan_fleet(mine, catalog, options, progress)
    for arg, why in problems.items():
        error = ProfileError(why, location=SourceLocation(arg))
        entries.append(ReplanEntry(**_failed(arg, error, None, None).model_dump()))
    with paused():
        return build_report(entries, CatalogSummary(as_of=catalog.as_of, offers=len(catalog.offers)), options)


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)
