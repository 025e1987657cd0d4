"""`placer export`: launcher configurations for a plan's placement, against golden files and the launchers'
documented structure (regenerate goldens with PLACER_UPDATE_GOLDEN=1 and review the diff)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.conftest import MINI_CATALOG, ROOT, run_placer

from placer.errors import ExitCode, InputError, NoFeasiblePlacement, UsageError
from placer.export import LAUNCHERS, UnsupportedPlacement, export_plan, parse_plan, pick_placement
from placer.export.targets import aws_local_zone_parent, instance_hour_price
from placer.plan import (
    BudgetVerdict,
    CatalogRef,
    Cost,
    Latency,
    Placement,
    Plan,
    SourceRef,
    Time,
    WorkloadRef,
)
from placer.render.json_out import to_json

GOLDEN = Path(__file__).resolve().parent / "golden" / "export"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("PLACER_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden {path}; run with PLACER_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


# --- plans, built by hand so the figures below can be checked by hand ----------------------------------------


def gpu(
    offer: str,
    accelerator: str,
    per_node: int,
    nodes: int,
    usd_per_instance_hour: float,
    wall_hours: float,
    pricing: str = "on-demand",
    period: str = "run",
) -> Placement:
    provider, region, instance = offer.split("/")
    hours = per_node * nodes * wall_hours
    compute = usd_per_instance_hour / per_node * hours
    return Placement(
        offer=offer,
        provider=provider,
        region=region,
        instance=instance,
        accelerator=accelerator,
        accelerator_count=per_node * nodes,
        instances=nodes,
        pricing=pricing,  # type: ignore[arg-type]
        cost=Cost(total_usd=compute, compute_usd=compute, period=period),  # type: ignore[arg-type]
        time=Time(wall_hours=wall_hours if period == "run" else None, accelerator_hours=hours),
        latency=Latency(p50_ms=900.0, p95_ms=1400.0) if period == "month" else Latency(),
        assumptions=[f"{accelerator} at {usd_per_instance_hour} USD per instance-hour (test figure)"],
    )


def api(offer: str) -> Placement:
    provider, model = offer.split("/")
    return Placement(
        offer=offer,
        provider=provider,
        region="us",
        instance=model,
        accelerator=None,
        accelerator_count=None,
        instances=None,
        pricing="per-token",
        cost=Cost(total_usd=9000.0, compute_usd=9000.0, period="month"),
        time=Time(),
        latency=Latency(p50_ms=700.0, p95_ms=1100.0),
    )


def mac(offer: str) -> Placement:
    provider, region, instance = offer.split("/")
    return Placement(
        offer=offer,
        provider=provider,
        region=region,
        instance=instance,
        accelerator="M4",
        accelerator_count=6,
        instances=6,
        pricing="rental",
        cost=Cost(total_usd=900.0, compute_usd=900.0, period="month"),
        time=Time(wall_hours=0.3, accelerator_hours=3000.0),
        latency=Latency(p50_ms=1_080_000.0, p95_ms=1_250_000.0),
    )


def plan(name: str, kind: str, chosen: Placement | None, *alternatives: Placement, limit: float = 0) -> Plan:
    period = "month" if kind != "training" else "run"
    total = chosen.cost.total_usd if chosen else None
    return Plan(
        workload=WorkloadRef(name=name, kind=kind, file=f"profiles/{name}.yaml"),
        catalog=CatalogRef(
            as_of="2026-11-22",
            offers_considered=20,
            sources=[SourceRef(name="embedded catalog", kind="embedded", as_of="2026-09-20", offers=20)],
        ),
        objective="cost",
        chosen=chosen,
        alternatives=list(alternatives),
        rejected=[],
        rejected_summary=[],
        budget=BudgetVerdict(
            limit_usd=limit or None,
            total_usd=total if limit else None,
            period=period if limit else None,  # type: ignore[arg-type]
            status=("within" if total is not None and total <= limit else "over") if limit else "none",
        ),
        assumptions=[],
    )


# 4 x p5.48xlarge (32 H100) for 100 h at $98.32 per instance-hour: 3,200 GPU-hours, $39,328
TRAINING = plan(
    "pretrain-7b",
    "training",
    gpu("aws/us-east-1/p5.48xlarge", "H100", 8, 4, 98.32, 100.0),
    gpu("gcp/us-central1/a3-highgpu-8g", "H100", 8, 4, 88.25, 100.0),
    gpu("crusoe/us-east/h100-80gb-hgx-x8", "H100", 8, 4, 31.2, 100.0),
    gpu("meta/us-east/h100-pool", "H100", 8, 4, 16.0, 100.0),
    limit=50_000,
)
# 2 replicas of one H100 on Lambda, 730 h a month at $3.29: 1,460 GPU-hours, $4,803.40 a month
INFERENCE = plan(
    "chat-70b",
    "inference",
    gpu("lambda/us-east-1/gpu_1x_h100_sxm5", "H100", 1, 2, 3.29, 730.0, period="month"),
    api("together/llama-3.3-70b"),
    gpu("runpod/us/h100-sxm-community-x8", "H100", 8, 1, 21.52, 730.0, period="month"),
    gpu("coreweave/us-east/gb200-nvl72", "GB200", 4, 1, 42.0, 730.0, period="month"),
    limit=30_000,
)
# one spot p4de.24xlarge (8 A100-80GB) for 20 h at $12.50: 160 GPU-hours, $250
SPOT = plan(
    "finetune-8b",
    "training",
    gpu("aws/us-west-2/p4de.24xlarge", "A100-80GB", 8, 1, 12.5, 20.0, pricing="spot"),
    gpu("lambda/us-east-1/gpu_8x_a100_80gb_sxm4", "A100-80GB", 8, 1, 14.32, 20.0, pricing="spot"),
)
MACS = plan("ios-ci", "apple-build", mac("scaleway/fr-par/m4-s"), limit=2000)
NOTHING = plan("impossible", "training", None)

GOLDEN_PLANS = {"training-multinode": TRAINING, "inference": INFERENCE, "spot": SPOT}


def test_hand_checked_figures():
    chosen = TRAINING.chosen
    assert chosen is not None
    assert chosen.time.accelerator_hours == pytest.approx(3200.0)
    assert chosen.cost.compute_usd == pytest.approx(39_328.0)
    assert instance_hour_price(chosen, 8) == 98.32
    assert instance_hour_price(INFERENCE.alternatives[1], 8) == 21.52
    # plan JSON keeps four decimals: $7.92 per instance-hour must not come back as $7.93
    rounded = chosen.model_copy(
        update={
            "cost": Cost(total_usd=83.8172, compute_usd=83.8172, period="run"),
            "time": Time(accelerator_hours=84.6638),
        }
    )
    assert instance_hour_price(rounded, 8) == 7.92


# --- what the launchers document --------------------------------------------------------------------------------

# https://docs.skypilot.co/en/latest/reference/yaml-spec.html ("Syntax", "Fields", "SkyServe Service")
SKYPILOT_TOP = {
    "name", "workdir", "num_nodes", "resources", "envs", "secrets", "file_mounts", "setup", "run", "config",
    "service",
}  # fmt: skip
SKYPILOT_RESOURCES = {
    "infra", "accelerators", "accelerator_args", "cpus", "memory", "instance_type", "use_spot", "disk_size",
    "disk_tier", "network_tier", "image_id", "ports", "labels", "autostop", "any_of", "ordered", "job_recovery",
}  # fmt: skip
# accelerator names in SkyPilot's catalog (skypilot-catalog common/accelerators.csv) that placer maps to
SKYPILOT_ACCELERATORS = {
    "A100", "A100-80GB", "A100-80GB-SXM", "B200", "H100", "H100-SXM", "H200", "H200-SXM", "L4", "L40S", "MI300X",
}  # fmt: skip
# infra: <cloud>/<region>/<zone> (region and zone optional) or k8s/<context>
SKYPILOT_INFRA = re.compile(r"^(k8s(/.+)?|[a-z]+(/[A-Za-z0-9-]+(/[A-Za-z0-9-]+)?)?)$")


def check_skypilot(doc: dict[str, Any]) -> None:
    assert set(doc) <= SKYPILOT_TOP, set(doc) - SKYPILOT_TOP
    assert isinstance(doc["name"], str)
    resources = doc["resources"]
    assert set(resources) <= SKYPILOT_RESOURCES, set(resources) - SKYPILOT_RESOURCES
    assert SKYPILOT_INFRA.match(resources["infra"]), resources["infra"]
    name, _, count = resources["accelerators"].partition(":")  # <name>:<count>
    assert name in SKYPILOT_ACCELERATORS
    assert count.isdigit() and int(count) >= 1
    assert isinstance(resources["use_spot"], bool)
    assert isinstance(resources.get("instance_type", ""), str)
    assert resources.get("network_tier", "best") in ("standard", "best")
    assert isinstance(doc["setup"], str) and isinstance(doc["run"], str)
    if "service" in doc:  # a SkyServe service: readiness_probe is required, replicas a count
        assert set(doc["service"]) <= {"readiness_probe", "replica_policy", "replicas"}
        assert isinstance(doc["service"]["readiness_probe"], str | dict)
        assert isinstance(doc["service"]["replicas"], int) and doc["service"]["replicas"] >= 1
        assert isinstance(resources["ports"], int)
        assert "num_nodes" not in doc
    else:
        assert isinstance(doc["num_nodes"], int) and doc["num_nodes"] >= 1


# https://dstack.ai/docs/reference/dstack.yml/task/ and .../service/ (TaskConfiguration, ServiceConfiguration
# and ProfileParams in dstack's models), https://dstack.ai/docs/concepts/tasks/#resources for `gpu`
DSTACK_COMMON = {
    "type", "name", "image", "user", "privileged", "entrypoint", "working_dir", "home_dir", "registry_auth",
    "python", "nvcc", "single_branch", "env", "shell", "resources", "priority", "volumes", "docker", "files",
    "repos", "setup", "commands", "backends", "regions", "availability_zones", "instance_types", "reservation",
    "spot_policy", "retry", "max_duration", "stop_duration", "max_price", "creation_policy", "idle_duration",
    "utilization_policy", "fleets", "tags",
}  # fmt: skip
DSTACK_TASK = DSTACK_COMMON | {"ports", "nodes", "startup_order", "stop_criteria"}
DSTACK_SERVICE = DSTACK_COMMON | {"port", "gateway", "model", "https", "auth", "replicas", "scaling", "rate_limits"}
DSTACK_RESOURCES = {"cpu", "memory", "shm_size", "gpu", "disk"}
DSTACK_BACKENDS = {"aws", "azure", "gcp", "lambda", "nebius", "runpod", "crusoe", "kubernetes", "oci", "vastai"}
GPUHUNT_NAMES = {"A100", "B200", "H100", "H200", "L4", "L40S", "MI300X"}


def check_gpu_spec(spec: str) -> None:
    """dstack's GPUSpec.parse: ':'-separated tokens; a name starts with a letter, memory has a unit, count is
    digits."""
    tokens = spec.split(":")
    names = [t for t in tokens if t[0].isalpha() and not re.fullmatch(r"\d+GB", t)]
    memory = [t for t in tokens if re.fullmatch(r"\d+GB", t)]
    counts = [t for t in tokens if t.isdigit()]
    assert len(names) == 1 and names[0] in GPUHUNT_NAMES, spec
    assert len(memory) <= 1 and len(counts) == 1 and int(counts[0]) >= 1, spec
    assert len(tokens) == len(names) + len(memory) + len(counts), spec


def check_dstack(doc: dict[str, Any]) -> None:
    allowed = DSTACK_SERVICE if doc["type"] == "service" else DSTACK_TASK
    assert doc["type"] in ("task", "service")
    assert set(doc) <= allowed, set(doc) - allowed
    assert isinstance(doc["commands"], list) and all(isinstance(c, str) for c in doc["commands"])
    assert set(doc["resources"]) <= DSTACK_RESOURCES
    check_gpu_spec(doc["resources"]["gpu"])
    assert isinstance(doc["backends"], list) and set(doc["backends"]) <= DSTACK_BACKENDS
    assert all(isinstance(r, str) for r in doc.get("regions", []))
    assert all(isinstance(i, str) for i in doc.get("instance_types", []))
    assert doc["spot_policy"] in ("spot", "on-demand", "auto")
    assert isinstance(doc.get("max_price", 1.0), float | int) and doc.get("max_price", 1.0) > 0
    if doc["type"] == "service":
        assert isinstance(doc["port"], int) and 0 < doc["port"] <= 65535
        assert isinstance(doc["replicas"], int) and doc["replicas"] >= 1
    else:
        assert isinstance(doc.get("nodes", 1), int) and doc.get("nodes", 1) >= 1


CHECKS = {"skypilot": check_skypilot, "dstack": check_dstack}


# --- golden outputs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("launcher", ["skypilot", "dstack"])
@pytest.mark.parametrize("name", sorted(GOLDEN_PLANS))
def test_golden(name: str, launcher: str):
    text = export_plan(GOLDEN_PLANS[name], launcher)
    check_golden(f"{name}.{launcher}.yaml", text)
    doc = yaml.safe_load(text)
    CHECKS[launcher](doc)


def test_skypilot_training_says_what_the_plan_chose():
    doc = yaml.safe_load(export_plan(TRAINING, "skypilot"))
    assert doc["num_nodes"] == 4
    assert doc["resources"] == {
        "infra": "aws/us-east-1",
        "accelerators": "H100:8",
        "instance_type": "p5.48xlarge",
        "use_spot": False,
    }
    assert doc["run"].rstrip().endswith("exit 1")  # an unedited placeholder fails fast instead of idling on GPUs


def test_dstack_training_is_a_multi_node_task():
    doc = yaml.safe_load(export_plan(TRAINING, "dstack"))
    assert (doc["type"], doc["nodes"]) == ("task", 4)
    assert doc["resources"] == {"gpu": "H100:8"}
    assert (doc["backends"], doc["regions"], doc["instance_types"]) == (["aws"], ["us-east-1"], ["p5.48xlarge"])
    # max_price: the planned $98.32 per instance-hour plus 25 % headroom, $122.90
    assert (doc["spot_policy"], doc["max_price"]) == ("on-demand", 122.9)


def test_inference_is_a_service_with_one_replica_per_instance():
    sky = yaml.safe_load(export_plan(INFERENCE, "skypilot"))
    assert sky["service"]["replicas"] == 2
    assert sky["resources"]["accelerators"] == "H100:1"
    assert sky["resources"]["infra"] == "lambda/us-east-1"
    ds = yaml.safe_load(export_plan(INFERENCE, "dstack"))
    assert (ds["type"], ds["replicas"], ds["resources"]["gpu"], ds["max_price"]) == ("service", 2, "H100:1", 4.12)
    assert "nodes" not in ds


def test_spot_and_memory_qualified_a100():
    sky = yaml.safe_load(export_plan(SPOT, "skypilot"))
    assert (sky["resources"]["use_spot"], sky["resources"]["accelerators"]) == (True, "A100-80GB:8")
    ds = yaml.safe_load(export_plan(SPOT, "dstack"))
    assert (ds["spot_policy"], ds["resources"]["gpu"]) == ("spot", "A100:80GB:8")
    assert "nodes" not in ds  # one node: dstack's default


def test_runpod_names_and_regions_in_skypilot():
    doc = yaml.safe_load(export_plan(INFERENCE, "skypilot", alternative=2))
    # RunPod's SXM H100 is H100-SXM in SkyPilot (plain H100 is the PCIe card); its regions are country codes
    assert doc["resources"]["accelerators"] == "H100-SXM:8"
    assert doc["resources"]["infra"] == "runpod/US"
    assert "instance_type" not in doc["resources"]  # placer's pod names are not SkyPilot's


def test_gcp_multi_node_asks_for_the_best_network():
    doc = yaml.safe_load(export_plan(TRAINING, "skypilot", alternative=1))
    assert doc["resources"]["network_tier"] == "best"
    assert doc["resources"]["instance_type"] == "a3-highgpu-8g"


def test_best_network_only_where_skypilot_takes_it():
    # SkyPilot's GCP provisioner fails network_tier: best on any machine but A3 High/Edge: A3 Mega gets none
    mega = plan("pretrain", "training", gpu("gcp/us-east4/a3-megagpu-8g", "H100", 8, 4, 88.25, 100.0))
    assert "network_tier" not in yaml.safe_load(export_plan(mega, "skypilot"))["resources"]
    one_node = plan("pretrain", "training", gpu("gcp/us-central1/a3-highgpu-8g", "H100", 8, 1, 88.25, 100.0))
    assert "network_tier" not in yaml.safe_load(export_plan(one_node, "skypilot"))["resources"]
    nebius = plan(
        "pretrain", "training", gpu("nebius/eu-north1/gpu-h100-sxm_8gpu-128vcpu-1600gb", "H100", 8, 2, 23.6, 10)
    )
    assert yaml.safe_load(export_plan(nebius, "skypilot"))["resources"]["network_tier"] == "best"
    # SkyServe replicas are independent servers: no fabric between them, even on A3 High
    service = plan(
        "chat", "inference", gpu("gcp/us-central1/a3-highgpu-8g", "H100", 8, 3, 88.25, 730.0, period="month")
    )
    doc = yaml.safe_load(export_plan(service, "skypilot"))
    assert doc["service"]["replicas"] == 3
    assert "network_tier" not in doc["resources"]


def test_a3_mega_is_h100_mega_in_skypilot():
    mega = plan("pretrain", "training", gpu("gcp/us-east4/a3-megagpu-8g", "H100", 8, 4, 88.25, 100.0))
    sky = yaml.safe_load(export_plan(mega, "skypilot"))["resources"]
    assert (sky["accelerators"], sky["instance_type"]) == ("H100-MEGA:8", "a3-megagpu-8g")
    ds = yaml.safe_load(export_plan(mega, "dstack"))  # gpuhunt calls them H100; the instance type pins the machine
    assert (ds["resources"]["gpu"], ds["instance_types"]) == ("H100:8", ["a3-megagpu-8g"])


@pytest.mark.parametrize("launcher", ["skypilot", "dstack"])
def test_aws_local_zone_pins_the_parent_region(launcher: str):
    atl = plan("pretrain", "training", gpu("aws/us-east-1-atl-1/p5.48xlarge", "H100", 8, 2, 55.04, 100.0))
    text = export_plan(atl, launcher)
    doc = yaml.safe_load(text)
    region = doc["resources"]["infra"] if launcher == "skypilot" else doc["regions"]
    assert region == ("aws/us-east-1" if launcher == "skypilot" else ["us-east-1"])
    assert "# Note: region us-east-1: placer's 'us-east-1-atl-1' is an AWS Local Zone" in text
    assert "us-east-1-atl-1a" in text  # the zone to pick to use the Local Zone itself


def test_local_zone_parent_names():
    assert aws_local_zone_parent("us-east-1-atl-1") == "us-east-1"
    assert aws_local_zone_parent("us-west-2-lax-1a") == "us-west-2"
    assert aws_local_zone_parent("us-gov-west-1") is None
    assert aws_local_zone_parent("ap-southeast-2") is None


def test_dstack_max_price_has_headroom_and_skips_floating_prices():
    # $3.29 x 1.25 = $4.1125, rounded up to the cent
    lam = gpu("lambda/us-east-1/gpu_1x_h100_sxm5", "H100", 1, 2, 3.29, 730.0, period="month")
    assert yaml.safe_load(export_plan(plan("chat", "inference", lam), "dstack"))["max_price"] == 4.12
    floating = lam.model_copy(
        update={
            "assumptions": [
                "price caveat: on-demand price for lambda/us-east-1/gpu_1x_h100_sxm5 is a 'from' price (the "
                "lowest advertised; preemptible prices can change every few minutes)"
            ]
        }
    )
    text = export_plan(plan("chat", "inference", floating), "dstack")
    assert "max_price" not in yaml.safe_load(text)
    assert "#   max_price left out: the plan's price is a 'from' price" in text
    snapshot = lam.model_copy(update={"assumptions": ["price caveat: spot price for x is a spot-market snapshot"]})
    assert "max_price" not in yaml.safe_load(export_plan(plan("chat", "inference", snapshot), "dstack"))


def test_crusoe_goes_to_dstack_unpinned():
    doc = yaml.safe_load(export_plan(TRAINING, "dstack", alternative=2))
    assert doc["backends"] == ["crusoe"]
    assert "regions" not in doc and "instance_types" not in doc
    text = export_plan(TRAINING, "dstack", alternative=2)
    assert "# Note: region not pinned: placer's region 'us-east' is not a dstack region name for crusoe" in text


def test_header_records_the_figures():
    text = export_plan(TRAINING, "skypilot")
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert "# Placement: the chosen placement: aws/us-east-1/p5.48xlarge (on-demand)" in header
    assert "# Cost: $39,328.00 per run (compute $39,328.00, egress $0.00, other $0.00)" in header
    assert "# Time: 100.00 h wall, 3,200.0 accelerator-hours" in header
    assert "# Budget: $50,000.00 per run, within" in header
    assert "# Catalog: prices as of 2026-11-22, 20 offers considered, objective cost" in header
    assert yaml.safe_load("\n".join(header)) is None  # comments only: launchers ignore them


def test_output_is_deterministic():
    for plan_ in (TRAINING, INFERENCE, SPOT):
        for launcher in LAUNCHERS:
            assert export_plan(plan_, launcher) == export_plan(plan_.model_copy(deep=True), launcher)


# --- placements a launcher cannot run -------------------------------------------------------------------------


def test_hosted_api_cannot_be_launched():
    with pytest.raises(UnsupportedPlacement, match="hosted API billed per token") as err:
        export_plan(INFERENCE, "skypilot", alternative=1)
    assert err.value.exit_code == ExitCode.USAGE
    assert "the chosen placement (lambda/us-east-1/gpu_1x_h100_sxm5) can go to skypilot" in (err.value.hint or "")


@pytest.mark.parametrize("launcher", ["skypilot", "dstack"])
def test_rented_mac_cannot_be_launched(launcher: str):
    with pytest.raises(UnsupportedPlacement, match=r"rented Mac \(M4\), and neither SkyPilot nor dstack"):
        export_plan(MACS, launcher)


def test_unsupported_provider_names_the_way_out():
    with pytest.raises(UnsupportedPlacement, match="SkyPilot has no crusoe cloud") as err:
        export_plan(TRAINING, "skypilot", alternative=2)
    hint = err.value.hint or ""
    assert "`--to dstack` can export this placement" in hint
    assert "the chosen placement (aws/us-east-1/p5.48xlarge) can go to skypilot: `--alternative 0`" in hint


@pytest.mark.parametrize("launcher", ["skypilot", "dstack"])
def test_private_pool_and_unnamed_accelerators(launcher: str):
    with pytest.raises(UnsupportedPlacement, match="has no meta cloud"):
        export_plan(TRAINING, launcher, alternative=3)
    with pytest.raises(UnsupportedPlacement, match="has no name for GB200 on coreweave"):
        export_plan(INFERENCE, launcher, alternative=3)


def test_spot_where_the_launcher_has_none():
    with pytest.raises(UnsupportedPlacement, match="cannot request spot capacity on lambda"):
        export_plan(SPOT, "skypilot", alternative=1)


def test_no_chosen_placement_is_exit_4():
    with pytest.raises(NoFeasiblePlacement, match="'impossible' has no chosen placement") as err:
        export_plan(NOTHING, "dstack")
    assert err.value.exit_code == ExitCode.NO_FEASIBLE


def test_alternative_out_of_range_is_a_usage_error():
    with pytest.raises(UsageError, match="--alternative 5: plan 'pretrain-7b' has alternatives 1 to 3"):
        pick_placement(TRAINING, 5)
    assert pick_placement(TRAINING, 3).provider == "meta"


# --- reading plan JSON back -----------------------------------------------------------------------------------


def test_plan_json_round_trips():
    assert parse_plan(to_json(TRAINING), "p.json") == TRAINING


def test_bad_plan_field_points_at_its_line():
    text = to_json(SPOT).replace('"pricing": "spot"', '"pricing": "cheap"', 1)
    with pytest.raises(InputError) as err:
        parse_plan(text, "p.json")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if '"cheap"' in t)
    assert str(err.value).startswith(f"p.json:{line}:16: chosen.pricing: must be 'on-demand'")
    assert err.value.exit_code == ExitCode.INVALID_INPUT


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"schema_version": 1,\n  "chosen": nul}', "p.json:2:13: not valid JSON: Expecting value"),
        ("[1, 2]", "p.json: not a plan"),
        (
            '{"schema_version": 2, "workload": {}, "chosen": null}',
            "p.json:1:20: schema_version: 2 is not a plan schema version this placer reads",
        ),
    ],
)
def test_unreadable_plans(text: str, message: str):
    with pytest.raises(InputError) as err:
        parse_plan(text, "p.json")
    assert str(err.value).startswith(message)


# --- the CLI ----------------------------------------------------------------------------------------------------


@pytest.fixture
def plan_files(tmp_path: Path) -> dict[str, Path]:
    files = {}
    for name, p in {"training": TRAINING, "inference": INFERENCE, "macs": MACS, "nothing": NOTHING}.items():
        files[name] = tmp_path / f"{name}.json"
        files[name].write_text(to_json(p))
    return files


def test_cli_writes_the_golden_to_stdout(plan_files: dict[str, Path]):
    done = run_placer("export", str(plan_files["training"]), "--to", "skypilot")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == (GOLDEN / "training-multinode.skypilot.yaml").read_text()


def test_cli_output_file_is_written_whole(plan_files: dict[str, Path], tmp_path: Path):
    out = tmp_path / "deep" / "task.dstack.yml"
    done = run_placer("export", str(plan_files["training"]), "--to", "dstack", "-o", str(out))
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert out.read_text() == export_plan(TRAINING, "dstack")
    assert [p.name for p in out.parent.iterdir()] == ["task.dstack.yml"]  # no temporary left behind


def test_cli_alternative(plan_files: dict[str, Path]):
    done = run_placer("export", str(plan_files["inference"]), "--to", "skypilot", "--alternative", "2")
    assert done.returncode == 0
    assert yaml.safe_load(done.stdout)["resources"]["infra"] == "runpod/US"


@pytest.mark.parametrize(
    ("name", "args", "code", "message"),
    [
        ("macs", ["--to", "dstack"], 2, "placer: error: dstack cannot run scaleway/fr-par/m4-s: it is a rented Mac"),
        ("inference", ["--to", "dstack", "--alternative", "1"], 2, "it is a hosted API billed per token"),
        ("training", ["--to", "skypilot", "--alternative", "9"], 2, "--alternative 9: plan 'pretrain-7b' has"),
        ("nothing", ["--to", "skypilot"], 4, "placer: error: plan 'impossible' has no chosen placement"),
        ("training", ["--to", "skypilot", "--catalog", "x.json"], 2, "--catalog, --plugins and --max-age-days"),
        ("training", ["--to", "slurm"], 2, "Invalid value for '--to'"),
    ],
)
def test_cli_errors(plan_files: dict[str, Path], name: str, args: list[str], code: int, message: str):
    done = run_placer("export", str(plan_files[name]), *args)
    assert done.returncode == code, done.stderr
    assert done.stdout == ""
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_invalid_plan_is_exit_3(tmp_path: Path):
    bad = tmp_path / "plan.json"
    bad.write_text(to_json(TRAINING).replace('"instances": 4', '"instances": "four"', 1))
    done = run_placer("export", str(bad), "--to", "dstack")
    assert done.returncode == 3
    assert f"{bad}:" in done.stderr and "chosen.instances" in done.stderr
    assert done.stdout == ""


def test_cli_plans_a_profile_first_like_plan_json_does(tmp_path: Path):
    """PLAN may be a profile: the same catalog gives the same file as `placer plan -f json` then export."""
    catalog = ["--catalog", str(MINI_CATALOG)]
    planned = run_placer("plan", "profiles/finetune-8b.yaml", "--format", "json", *catalog)
    assert planned.returncode == 0, planned.stderr
    plan_file = tmp_path / "finetune.json"
    plan_file.write_text(planned.stdout)
    via_plan = run_placer("export", str(plan_file), "--to", "dstack")
    via_profile = run_placer("export", "profiles/finetune-8b.yaml", "--to", "dstack", *catalog)
    assert via_plan.returncode == via_profile.returncode == 0, via_profile.stderr
    assert via_plan.stdout == via_profile.stdout
    check_dstack(yaml.safe_load(via_profile.stdout))
    assert json.loads(planned.stdout)["chosen"]["offer"] in via_profile.stdout


def test_cli_profile_errors_keep_their_line(tmp_path: Path):
    profile = tmp_path / "p.yaml"
    profile.write_text("kind: training\nname: x\nmodel: {parameters: 8B, precision: bf17}\ntraining: {tokens: 1T}\n")
    done = run_placer("export", str(profile), "--to", "skypilot")
    assert done.returncode == 3
    assert f"{profile}:3:" in done.stderr and "model.precision" in done.stderr


def test_cli_is_byte_identical_across_runs(plan_files: dict[str, Path]):
    first = run_placer("export", str(plan_files["inference"]), "--to", "dstack")
    second = run_placer("export", str(plan_files["inference"]), "--to", "dstack")
    assert first.returncode == 0 and first.stdout == second.stdout


def test_export_keeps_plan_cold_start_light():
    """Registering export and schema must not make every command import their machinery."""
    code = "import sys, placer.cli.app; print(sorted(m for m in sys.modules if m.startswith('placer.export')))"
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"


# --- properties -------------------------------------------------------------------------------------------------

PROVIDERS = ["aws", "gcp", "azure", "lambda", "nebius", "runpod", "crusoe", "coreweave", "meta", "acme"]
ACCELERATORS = ["A100-40GB", "A100-80GB", "A100-80GB-PCIe", "H100", "H100-PCIe", "H200", "B200", "L4", "L40S",
                "MI300X", "GB200", "MTIA-v2"]  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    provider=st.sampled_from(PROVIDERS),
    accelerator=st.sampled_from(ACCELERATORS),
    per_node=st.sampled_from([1, 2, 4, 8]),
    nodes=st.integers(min_value=1, max_value=512),
    spot=st.booleans(),
    kind=st.sampled_from(["training", "inference"]),
    launcher=st.sampled_from(["skypilot", "dstack"]),
)
def test_any_gpu_placement_exports_to_the_documented_structure_or_says_why(
    provider: str, accelerator: str, per_node: int, nodes: int, spot: bool, kind: str, launcher: str
):
    period = "run" if kind == "training" else "month"
    placement = gpu(f"{provider}/us-east-1/x{per_node}", accelerator, per_node, nodes, 10.0, 5.0,
                    pricing="spot" if spot else "on-demand", period=period)  # fmt: skip
    try:
        text = export_plan(plan("w", kind, placement), launcher)
    except UnsupportedPlacement as exc:
        refused = str(exc)
    else:
        refused = ""
    if refused:
        assert refused.startswith(f"{LAUNCHERS[launcher][0].title} cannot run {placement.offer}: ")
        return
    doc = yaml.safe_load(text)
    CHECKS[launcher](doc)
    count = doc["resources"]["accelerators"] if launcher == "skypilot" else doc["resources"]["gpu"]
    assert int(count.rsplit(":", 1)[1]) == per_node
    replicas = doc.get("service", {}).get("replicas") if launcher == "skypilot" else doc.get("replicas")
    assert (replicas if kind == "inference" else doc.get("num_nodes", doc.get("nodes", 1))) == nodes


def test_an_instance_name_that_is_not_the_providers_is_not_pinned():
    odd = plan("w", "inference", gpu("lambda/us-east-1/4x-b200", "B200", 4, 1, 27.16, 730.0, period="month"))
    for launcher, key in (("skypilot", "instance_type"), ("dstack", "instance_types")):
        text = export_plan(odd, launcher)
        doc = yaml.safe_load(text)
        assert key not in doc.get("resources", {}) and key not in doc
        assert "# Note: instance not pinned: '4x-b200' is not a lambda instance type name" in text
