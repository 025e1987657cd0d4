"""A SkyPilot task YAML (training, batch) or SkyServe service YAML (inference) for one placement.

Format: https://docs.skypilot.co/en/latest/reference/yaml-spec.html — ``resources.infra`` (``cloud/region``,
or ``k8s`` for a Kubernetes cluster), ``accelerators: NAME:COUNT`` per node, ``instance_type``, ``use_spot``,
``num_nodes``, ``setup``/``run``; ``service`` (``readiness_probe``, ``replicas``) for SkyServe.

Cloud and accelerator names follow SkyPilot's catalog (``common/accelerators.csv`` of skypilot-org/
skypilot-catalog, and ``sky/catalog/data_fetchers/fetch_runpod.py`` for RunPod's SXM/PCIe names). SkyPilot has
no Crusoe cloud and no compute on its ``coreweave`` cloud (storage only), so CoreWeave goes through ``k8s``
(CoreWeave's CKS is Kubernetes) and Crusoe is refused; Lambda and Kubernetes offer no spot capacity.
"""

from __future__ import annotations

from typing import Any

from placer.export.document import Block, header, render
from placer.export.targets import (
    AWS_INSTANCES,
    AZURE_INSTANCES,
    GCP_INSTANCES,
    LAMBDA_INSTANCES,
    NEBIUS_INSTANCES,
    Cloud,
    Launcher,
    Target,
    aws_region,
    no_region,
    upper_region,
)
from placer.plan import Plan

DOCS = "https://docs.skypilot.co/en/latest/reference/yaml-spec.html"
SERVICE_PORT = 8000  # vLLM's and SGLang's default; the header says to change it to the server's

_A100 = {"A100-40GB": "A100", "A100-80GB": "A100-80GB"}

LAUNCHER = Launcher(
    key="skypilot",
    title="SkyPilot",
    docs=DOCS,
    clouds={
        "aws": Cloud(
            "aws",
            {**_A100, "B200": "B200", "H100": "H100", "H200": "H200", "L4": "L4", "L40S": "L40S"},
            instance_names=AWS_INSTANCES,
            region=aws_region,
        ),
        "gcp": Cloud(
            "gcp",
            {**_A100, "B200": "B200", "H100": "H100", "H200": "H200", "L4": "L4"},
            instance_names=GCP_INSTANCES,
            # SkyPilot's GCP catalog (fetch_gcp.py, common/accelerators.csv) names A3 Mega's GPUs H100-MEGA
            instance_accelerators={"a3-megagpu-8g": "H100-MEGA"},
        ),
        "azure": Cloud(
            "azure", {**_A100, "A100-80GB-PCIe": "A100-80GB", "H100": "H100"}, instance_names=AZURE_INSTANCES
        ),
        "lambda": Cloud(
            "lambda",
            {**_A100, "B200": "B200", "H100": "H100", "H100-PCIe": "H100"},
            instance_names=LAMBDA_INSTANCES,
            spot=False,
        ),
        "nebius": Cloud(
            "nebius",
            {"B200": "B200", "H100": "H100", "H200": "H200", "L40S": "L40S"},
            instance_names=NEBIUS_INSTANCES,  # placer took Nebius shapes from SkyPilot's catalog
        ),
        "runpod": Cloud(
            "runpod",
            {
                "A100-80GB": "A100-80GB-SXM",
                "A100-80GB-PCIe": "A100-80GB",
                "B200": "B200",
                "H100": "H100-SXM",
                "H100-PCIe": "H100",
                "H200": "H200-SXM",
                "L4": "L4",
                "L40S": "L40S",
                "MI300X": "MI300X",
            },
            region=upper_region,  # placer names RunPod pods its own way: SkyPilot picks the pod from the GPUs
        ),
        "coreweave": Cloud(
            "k8s",
            {"A100-80GB": "A100-80GB", "B200": "B200", "H100": "H100", "H200": "H200", "L40S": "L40S"},
            region=no_region,
            spot=False,
            note="CoreWeave runs through SkyPilot's Kubernetes support (CoreWeave's CKS): point your kubeconfig "
            "at the CKS cluster; set `infra: k8s/<context>` to pick one context; `sky show-gpus --infra k8s` "
            "lists the GPU names it sees",
        ),
    },
)


def _infra(target: Target) -> str:
    return target.cloud.name if target.region is None else f"{target.cloud.name}/{target.region}"


# GCP VMs: SkyPilot's provisioner enables GPUDirect-TCPX only on these machine types and fails on any other
# (sky/provision/gcp/constants.py GPU_DIRECT_TCPX_INSTANCE_TYPES); Nebius VMs: InfiniBand on the gpu-h100-sxm
# and gpu-h200-sxm platforms, in 8-GPU presets (sky/provision/nebius/constants.py)
GCP_TCPX_INSTANCES = ("a3-highgpu-8g", "a3-edgegpu-8g")
NEBIUS_INFINIBAND = ("H100", "H200")


def _network_tier(target: Target, service: bool) -> bool:
    """``network_tier: best`` only where SkyPilot accepts it and it helps: a multi-node training task (never a
    SkyServe service, whose replicas do not talk to each other) on GCP A3 High/Edge or Nebius H100/H200 x8."""
    if service or target.nodes < 2:
        return False
    if target.cloud.name == "gcp":
        return target.instance_type in GCP_TCPX_INSTANCES
    return target.cloud.name == "nebius" and target.accelerator in NEBIUS_INFINIBAND and target.per_node == 8


def _resources(target: Target, service: bool) -> dict[str, Any]:
    resources: dict[str, Any] = {
        "infra": _infra(target),
        "accelerators": f"{target.accelerator}:{target.per_node}",
    }
    if target.instance_type is not None:
        resources["instance_type"] = target.instance_type
    resources["use_spot"] = target.spot
    if _network_tier(target, service):
        resources["network_tier"] = "best"
    if service:
        resources["ports"] = SERVICE_PORT
    return resources


SETUP = Block(
    "# placer placeholder: install your job's dependencies here, e.g.\n"
    "# pip install -r requirements.txt\n"
    'echo "placer: setup placeholder (nothing installed)"\n'
)


def _run(service: bool, nodes: int) -> Block:
    if service:
        what = (
            f"# placer placeholder: start your model server on port {SERVICE_PORT}, answering GET /health, e.g.\n"
            f"# vllm serve <model> --port {SERVICE_PORT} --tensor-parallel-size $SKYPILOT_NUM_GPUS_PER_NODE\n"
        )
    elif nodes > 1:
        what = (
            "# placer placeholder: start your job on every node, e.g.\n"
            "# torchrun --nnodes=$SKYPILOT_NUM_NODES --node_rank=$SKYPILOT_NODE_RANK \\\n"
            "#   --nproc_per_node=$SKYPILOT_NUM_GPUS_PER_NODE \\\n"
            '#   --master_addr=$(echo "$SKYPILOT_NODE_IPS" | head -n1) --master_port=12345 train.py\n'
        )
    else:
        what = (
            "# placer placeholder: start your job, e.g.\n"
            "# torchrun --nproc_per_node=$SKYPILOT_NUM_GPUS_PER_NODE train.py\n"
        )
    return Block(what + 'echo "placer: replace this placeholder run command with your job" >&2\nexit 1\n')


def render_skypilot(plan: Plan, target: Target, index: int) -> str:
    service = plan.workload.kind == "inference"
    body: dict[str, Any] = {"name": plan.workload.name}
    if not service:
        body["num_nodes"] = target.nodes
    body["resources"] = _resources(target, service)
    if service:
        body["service"] = {"readiness_probe": "/health", "replicas": target.nodes}
    body["setup"] = SETUP
    body["run"] = _run(service, target.nodes)
    if service:
        what = "service"
        how = [
            "sky serve up -n <service> THIS_FILE",
            f"(the readiness probe and port assume a server on port {SERVICE_PORT} with GET /health; change them "
            "to your server's)",
        ]
    else:
        what = "task"
        how = ["sky launch -c <cluster> THIS_FILE"]
        if target.spot:
            how.append(
                "or `sky jobs launch THIS_FILE`: a managed job is restarted after a spot preemption; checkpoint often"
            )
    return render(header(plan, target, index, LAUNCHER, what, how), body)
