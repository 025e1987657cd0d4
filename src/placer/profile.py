"""Workload profiles: the three kinds of work placer plans, as strict pydantic models.

Unknown keys are errors (a typo must never be silently ignored); numbers accept human forms.
Reading a profile from YAML gives file:line:col for every error (see ``placer.yamldoc``).

No ``from __future__ import annotations`` here: pydantic would compile and evaluate every field's annotation
string each time the module is imported, which is every ``placer plan``.
"""

import difflib
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticKnownError

from placer.catalog.models import Precision
from placer.errors import ProfileError, SourceLocation
from placer.field_errors import describe, validation_error
from placer.numbers import MAX_COUNT, parse_count, parse_human_number, parse_plain_number
from placer.s3_location import check_location, is_s3
from placer.yamldoc import YamlDocument, clip, parse_yaml, read_text

# Sizes of models and data take suffixes (70B, 2T); quantities in a unit (minutes, GB, req/s) do not.
# Far beyond any real run, well inside float range: bigger is a typo, and would overflow the arithmetic.
Parameters = Annotated[float, BeforeValidator(parse_human_number), Field(gt=0, le=1e15)]
Tokens = Annotated[float, BeforeValidator(parse_human_number), Field(gt=0, le=1e17)]
Flops = Annotated[float, BeforeValidator(parse_human_number), Field(gt=0, le=1e32)]
# a plain figure (req/s, minutes, GB, USD) past MAX_PLAIN is a typo, and a finite 1e307 still overflows the estimates
MAX_PLAIN = 1e15
MAX_RATE = 1e9  # requests per second at the peak: a billion
PositiveNumber = Annotated[float, BeforeValidator(parse_plain_number), Field(gt=0, le=MAX_PLAIN)]
NonNegativeNumber = Annotated[float, BeforeValidator(parse_plain_number), Field(ge=0, le=MAX_PLAIN)]
Rate = Annotated[float, BeforeValidator(parse_plain_number), Field(gt=0, le=MAX_RATE)]
Count = Annotated[int, BeforeValidator(parse_count), Field(ge=1, le=MAX_COUNT)]
Objective = Literal["cost", "time", "balanced"]
KINDS = ("training", "inference", "apple-build")


class _Strict(BaseModel):
    # defer_build: a model's validator is built the first time it validates, so a run that reads one
    # apple-build profile does not pay for the training and inference models (or their parts) as well.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class ModelSpec(_Strict):
    """The model being trained or served. Architecture fields refine the KV-cache estimate when given."""

    name: str | None = None
    parameters: Parameters
    active_parameters: Parameters | None = None
    precision: Precision = "bf16"
    layers: Count | None = None
    kv_heads: Count | None = None
    head_dim: Count | None = None

    @model_validator(mode="after")
    def _active_le_total(self) -> "ModelSpec":
        if self.active_parameters is not None and self.active_parameters > self.parameters:
            raise ValueError("active_parameters cannot exceed parameters")
        return self

    @property
    def compute_parameters(self) -> float:
        """Parameters that do work per token (all of them for a dense model)."""
        return self.active_parameters if self.active_parameters is not None else self.parameters


class TrainingSpec(_Strict):
    tokens: Tokens | None = None
    flops: Flops | None = None
    mfu: Annotated[float, BeforeValidator(parse_plain_number), Field(gt=0, le=1)] | None = None
    # Each failure or spot preemption costs half an interval redone plus a restart. The defaults are assumptions
    # (placer.estimate.training); a week or more is a unit slip (hours for minutes), not a plan.
    checkpoint_interval_minutes: Annotated[float, BeforeValidator(parse_plain_number), Field(gt=0, le=10080)] = 30.0
    restart_minutes: Annotated[float, BeforeValidator(parse_plain_number), Field(ge=0, le=10080)] = 10.0

    @model_validator(mode="after")
    def _tokens_or_flops(self) -> "TrainingSpec":
        if (self.tokens is None) == (self.flops is None):
            raise ValueError("give exactly one of tokens or flops")
        return self


class Resources(_Strict):
    accelerators: list[str] | None = Field(default=None, min_length=1)
    count: Count | None = None
    max_count: Count = 16384


class Slo(_Strict):
    p95_latency_ms: PositiveNumber | None = None


class InferenceSpec(_Strict):
    requests_per_second: Rate
    average_requests_per_second: Rate | None = None
    input_tokens: Count
    output_tokens: Count
    user_regions: list[str] = Field(default_factory=lambda: ["us-east"], min_length=1)
    slo: Slo = Field(default_factory=Slo)
    hours_per_day: Annotated[float, BeforeValidator(parse_plain_number), Field(gt=0, le=24)] = 24.0
    accept_models: list[str] = Field(default_factory=list)
    self_hosted: bool = True
    hosted_api: bool = True

    @model_validator(mode="after")
    def _average_le_peak(self) -> "InferenceSpec":
        if self.average_requests_per_second is not None and (
            self.average_requests_per_second > self.requests_per_second
        ):
            raise ValueError("average_requests_per_second cannot exceed requests_per_second (the peak)")
        if not (self.self_hosted or self.hosted_api):
            raise ValueError("self_hosted and hosted_api cannot both be false")
        return self

    @property
    def mean_requests_per_second(self) -> float:
        avg = self.average_requests_per_second
        return avg if avg is not None else self.requests_per_second


class BuildSpec(_Strict):
    jobs_per_day: PositiveNumber
    minutes_per_job: PositiveNumber
    reference_chip: str = "M4"
    max_queue_wait_minutes: NonNegativeNumber = 10.0
    working_hours_per_day: Annotated[float, BeforeValidator(parse_plain_number), Field(gt=0, le=24)] = 10.0
    working_days_per_month: Annotated[float, BeforeValidator(parse_plain_number), Field(gt=0, le=31)] = 22.0
    min_memory_gb: PositiveNumber | None = None


class DataSpec(_Strict):
    """Where the workload's data is and how big: each offer is charged copying it there (egress, hours).

    ``location`` is a catalog region (``aws/us-east-1``) or an S3 URL (``s3://bucket/prefix``). ``size_gb``
    may be left out for an S3 URL only: the objects under it are then listed at plan time (placer.dataset).
    A size given wins; nothing is listed.
    """

    location: str = Field(min_length=1)  # before size_gb: its validator reads the location
    size_gb: Annotated[NonNegativeNumber | None, Field(validate_default=True)] = None

    @field_validator("location")
    @classmethod
    def _well_formed_url(cls, location: str) -> str:
        return check_location(location)

    @field_validator("size_gb")
    @classmethod
    def _size_unless_measured(cls, size_gb: float | None, info: ValidationInfo) -> float | None:
        location = info.data.get("location")
        if size_gb is None and location is not None and not is_s3(location):
            raise PydanticKnownError("missing")  # the same error as before s3:// locations existed
        return size_gb


class Constraints(_Strict):
    providers: list[str] | None = Field(default=None, min_length=1)
    exclude_providers: list[str] = Field(default_factory=list)
    regions: list[str] | None = Field(default=None, min_length=1)
    spot: Literal["never", "allow", "only"] = "never"
    reserved: Literal["never", "allow"] = "never"


class Budget(_Strict):
    max_usd: PositiveNumber


class _ProfileBase(_Strict):
    name: str = Field(min_length=1)
    description: str | None = None
    data: DataSpec | None = None
    constraints: Constraints = Field(default_factory=Constraints)
    resources: Resources = Field(default_factory=Resources)
    deadline_hours: PositiveNumber | None = None
    objective: Objective = "cost"
    budget: Budget | None = None


class TrainingProfile(_ProfileBase):
    kind: Literal["training"]
    model: ModelSpec
    training: TrainingSpec

    @property
    def flops(self) -> float:
        """Total training compute: 6·N·D for a dense model (N = active parameters for MoE), or given."""
        if self.training.flops is not None:
            return self.training.flops
        assert self.training.tokens is not None
        return 6.0 * self.model.compute_parameters * self.training.tokens


class InferenceProfile(_ProfileBase):
    kind: Literal["inference"]
    model: ModelSpec
    inference: InferenceSpec


class AppleBuildProfile(_ProfileBase):
    kind: Literal["apple-build"]
    build: BuildSpec


Profile = Annotated[TrainingProfile | InferenceProfile | AppleBuildProfile, Field(discriminator="kind")]
AnyProfile = TrainingProfile | InferenceProfile | AppleBuildProfile


# --- reading profiles from YAML -------------------------------------------------------------------


class ProfileDocument:
    """A validated profile and the YAML it came from, to point later errors at the right line."""

    def __init__(self, profile: AnyProfile, yaml_doc: YamlDocument) -> None:
        self.profile = profile
        self.yaml = yaml_doc

    @property
    def path(self) -> str:
        return self.yaml.filename

    def locate(self, path: Sequence[str | int]) -> SourceLocation:
        return self.yaml.locate(path)


def parse_profile(text: str, filename: str = "<profile>") -> ProfileDocument:
    doc = parse_yaml(text, filename, ProfileError)
    data = doc.data
    if not isinstance(data, dict):
        found = describe(data)
        raise ProfileError(
            f"expected a mapping of profile keys (kind, name, ...), found {found}", location=doc.locate(())
        )
    kind = data.get("kind")
    if kind is None:
        raise ProfileError(f"missing required key 'kind' (one of {', '.join(KINDS)})", location=doc.locate(()))
    if kind not in KINDS:
        guess = difflib.get_close_matches(str(kind), KINDS, n=1, cutoff=0.5)
        raise ProfileError(
            f"unknown kind {clip(repr(kind))}; expected one of {', '.join(KINDS)}",
            location=doc.locate(("kind",)),
            hint=f"did you mean {guess[0]!r}?" if guess else None,
        )
    model = _MODELS[kind]
    try:
        profile = model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, doc, ProfileError, model) from None
    return ProfileDocument(profile, doc)


def read_profile(path: str | Path) -> ProfileDocument:
    """Read and validate a profile file; every problem is a ProfileError naming file, line and field."""
    return parse_profile(read_text(path, ProfileError), str(path))


def load_profile(path: str | Path) -> AnyProfile:
    return read_profile(path).profile


_MODELS: dict[str, type[TrainingProfile] | type[InferenceProfile] | type[AppleBuildProfile]] = {
    "training": TrainingProfile,
    "inference": InferenceProfile,
    "apple-build": AppleBuildProfile,
}
