"""A dstack run configuration: ``type: task`` (training, with ``nodes`` when multi-node) or ``type: service``
(inference) for one placement.

Format: https://dstack.ai/docs/reference/dstack.yml/task/ and .../service/ — ``resources.gpu`` is
``NAME[:MEMORY]:COUNT`` (``H100:8``, ``A100:80GB:8``; https://dstack.ai/docs/concepts/tasks/#resources),
``backends``, ``regions``, ``instance_types``, ``spot_policy`` (``spot``, ``on-demand``, ``auto``) and
``max_price`` (USD per instance-hour) come from dstack's profile parameters. GPU names are gpuhunt's, where the
A100's two memory sizes share one name, hence the memory qualifier.

Backends: dstack has ``crusoe`` (since 0.20.12) and no CoreWeave backend, so CoreWeave goes through
``kubernetes`` (CoreWeave's CKS); Lambda and Kubernetes have no spot capacity.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from placer.export.document import header, render
from placer.export.targets import (
    AWS_INSTANCES,
    AZURE_INSTANCES,
    GCP_INSTANCES,
    LAMBDA_INSTANCES,
    Cloud,
    Launcher,
    Target,
    aws_region,
    no_region,
)
from placer.plan import Plan

DOCS = "https://dstack.ai/docs/reference/dstack.yml/task/"
SERVICE_DOCS = "https://dstack.ai/docs/reference/dstack.yml/service/"
SERVICE_PORT = 8000  # vLLM's and SGLang's default; the header says to change it to the server's
FORM_FACTORS = ("A100-80GB", "A100-80GB-PCIe", "H100", "H100-PCIe")  # sold as SXM and as PCIe under one name

# max_price is a ceiling, not the expected price: dstack skips offers above it, so the planned price alone would
# refuse an offer a cent dearer (a rounding, a price change since the catalog's date); 25 % over the plan leaves
# room for that and still stops a far dearer offer.
MAX_PRICE_HEADROOM = 1.25
# price notes (placer.placements.common) of prices that are not a steady list price: a 'from' price is the lowest
# advertised, a spot-market snapshot moves every few minutes; a ceiling derived from them would refuse most offers
FLOATING_PRICES = ("a 'from' price", "spot-market snapshot")

# gpuhunt names GCP's A3 Mega GPUs plain H100 (the instance type pins the machine), unlike SkyPilot's H100-MEGA
GPU_NAMES = {
    "A100-40GB": "A100:40GB",
    "A100-80GB": "A100:80GB",
    "A100-80GB-PCIe": "A100:80GB",
    "B200": "B200",
    "H100": "H100",
    "H100-PCIe": "H100",
    "H200": "H200",
    "L4": "L4",
    "L40S": "L40S",
    "MI300X": "MI300X",
}

LAUNCHER = Launcher(
    key="dstack",
    title="dstack",
    docs=DOCS,
    clouds={
        "aws": Cloud("aws", GPU_NAMES, instance_names=AWS_INSTANCES, region=aws_region),
        "gcp": Cloud("gcp", GPU_NAMES, instance_names=GCP_INSTANCES),
        "azure": Cloud("azure", GPU_NAMES, instance_names=AZURE_INSTANCES),
        "lambda": Cloud("lambda", GPU_NAMES, instance_names=LAMBDA_INSTANCES, spot=False),
        # placer's Nebius shape names are SkyPilot's; dstack names instances its own way
        "nebius": Cloud("nebius", GPU_NAMES),
        # RunPod regions in dstack are country codes (Community Cloud) or data centres (Secure Cloud)
        "runpod": Cloud("runpod", GPU_NAMES, region=no_region),
        "crusoe": Cloud("crusoe", GPU_NAMES, region=no_region, spot=False),
        "coreweave": Cloud(
            "kubernetes",
            GPU_NAMES,
            region=no_region,
            spot=False,
            note="CoreWeave runs through dstack's kubernetes backend (CoreWeave's CKS): configure the CKS "
            "kubeconfig as a kubernetes backend on the dstack server",
        ),
    },
)


def _commands(service: bool, nodes: int) -> list[str]:
    if service:
        example = (
            f"# placer placeholder: start your model server on port {SERVICE_PORT}, e.g. vllm serve <model> "
            f"--port {SERVICE_PORT} --tensor-parallel-size $DSTACK_GPUS_PER_NODE"
        )
    elif nodes > 1:
        example = (
            "# placer placeholder: start your job on every node, e.g. torchrun --nnodes=$DSTACK_NODES_NUM "
            "--node-rank=$DSTACK_NODE_RANK --nproc-per-node=$DSTACK_GPUS_PER_NODE "
            "--master-addr=$DSTACK_MASTER_NODE_IP --master-port=12345 train.py"
        )
    else:
        example = "# placer placeholder: start your job, e.g. torchrun --nproc-per-node=$DSTACK_GPUS_PER_NODE train.py"
    return [example, 'echo "placer: replace these placeholder commands with your job" >&2', "exit 1"]


def render_dstack(plan: Plan, target: Target, index: int) -> str:
    service = plan.workload.kind == "inference"
    body: dict[str, Any] = {"type": "service" if service else "task", "name": plan.workload.name}
    if service:
        body["port"] = SERVICE_PORT
        body["replicas"] = target.nodes
    elif target.nodes > 1:
        body["nodes"] = target.nodes
    body["commands"] = _commands(service, target.nodes)
    body["resources"] = {"gpu": f"{target.accelerator}:{target.per_node}"}
    body["backends"] = [target.cloud.name]
    if target.region is not None:
        body["regions"] = [target.region]
    if target.instance_type is not None:
        body["instance_types"] = [target.instance_type]
    body["spot_policy"] = "spot" if target.spot else "on-demand"
    ceiling = max_price(target)
    if ceiling is not None:
        body["max_price"] = ceiling
    how = ["dstack apply -f THIS_FILE   (name it *.dstack.yml)"]
    if target.nodes > 1 and not service:
        how.append("dstack runs multi-node tasks on a fleet with `placement: cluster`: create one first")
    else:
        how.append("dstack 0.20+ runs on existing fleets: create one covering these backends first")
    if ceiling is not None:
        how.append(
            f"max_price is the planned price per instance-hour plus {MAX_PRICE_HEADROOM - 1:.0%} headroom: raise "
            "it if dstack's offers cost more"
        )
    elif target.usd_per_instance_hour is not None:
        how.append(
            "max_price left out: the plan's price is a 'from' price or a spot-market snapshot, not a steady "
            "price to cap offers at"
        )
    if target.instance_type is None and target.placement.accelerator in FORM_FACTORS:
        target = replace(
            target,
            notes=(
                *target.notes,
                f"dstack's gpu spec does not tell SXM from PCIe: check that the offer `dstack apply` shows is "
                f"the plan's {target.placement.accelerator}",
            ),
        )
    what = "service" if service else "task"
    launcher = LAUNCHER if not service else _service_launcher()
    return render(header(plan, target, index, launcher, what, how), body)


def floating_price(target: Target) -> bool:
    """The plan priced this placement from a 'from' price or a market snapshot (see the placement's notes)."""
    return any(words in note for note in target.placement.assumptions for words in FLOATING_PRICES)


def max_price(target: Target) -> float | None:
    """The planned price per instance-hour with headroom, rounded up to a cent; None when there is no steady one."""
    price = target.usd_per_instance_hour
    if price is None or floating_price(target):
        return None
    # rounding before the ceiling keeps 98.32 x 1.25 at 122.90, not 122.91 from binary fractions
    return math.ceil(round(price * MAX_PRICE_HEADROOM * 100, 6)) / 100


def _service_launcher() -> Launcher:
    return Launcher(LAUNCHER.key, LAUNCHER.title, SERVICE_DOCS, LAUNCHER.clouds)
