"""Huge-but-finite figures (review of issue 6, defect 3): rejected at load with file:line when a field has a sane
upper bound, and an estimator that meets a non-finite intermediate rejects the offer with a reason, never crashes."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from placer.cli.app import app
from placer.estimate import inference, training
from placer.estimate.model_shape import ModelShape

LLAMA_70B = ModelShape(70e9, 70e9, "bf16", 80, 8, 128)
LOAD = inference.Load(1000, 300, 5.0, 5.0, 24, 3000.0, 10.0, 20.0)


def test_inference_estimate_with_a_petabyte_overflow_is_a_range_rejection_not_a_crash() -> None:
    # 1e300 GB of memory: free memory is inf − weights, inf // kv is NaN, int(NaN) used to raise ValueError
    hw = inference.Hardware(
        peak_tflops=989, mem_bw_tbps=3.35, memory_gb=1e300, per_instance=8, usd_per_instance_hour=32
    )
    with pytest.raises(inference.Infeasible) as caught:
        inference.estimate(LLAMA_70B, LOAD, hw)
    assert caught.value.code == "range"
    assert "out of range" in caught.value.reason


def test_inference_estimate_with_an_overflowing_rate_is_a_range_rejection() -> None:
    hw = inference.Hardware(peak_tflops=989, mem_bw_tbps=3.35, memory_gb=80, per_instance=8, usd_per_instance_hour=32)
    load = inference.Load(1000, 300, 1.7e308, 1.7e308, 24, None, 10.0, 20.0)  # ceil(inf) used to raise OverflowError
    with pytest.raises(inference.Infeasible) as caught:
        inference.estimate(LLAMA_70B, load, hw)
    assert caught.value.code == "range"


def test_training_estimate_with_a_tiny_memory_is_a_range_rejection() -> None:
    acc = training.Accelerator("X", 989.0, 0.4, 1e-320, 8, "infiniband", 32.0)  # need / 1e-320 = inf
    with pytest.raises(training.Infeasible) as caught:
        training.estimate(acc, training.TrainingJob(flops=1e21, parameters=8e9))
    assert caught.value.code == "range"


@pytest.mark.parametrize(
    ("args", "where", "bound"),
    [
        (
            [
                "tests/hostile/profile/ok-plan.yaml",
                "--catalog",
                "tests/hostile/user-yaml/huge-finite-memory-offer.yaml",
            ],
            "huge-finite-memory-offer.yaml:26:28: offers[0].accelerator_memory_gb",
            "1000000",
        ),
        (
            ["tests/hostile/profile/ok-plan.yaml", "--catalog", "tests/hostile/catalog-json/huge-finite-memory.json"],
            "huge-finite-memory.json:152:29: offers[1].accelerator_memory_gb",
            "1000000",
        ),
        (
            ["tests/hostile/profile/huge-finite-rps.yaml"],
            "huge-finite-rps.yaml:6:24: inference.requests_per_second",
            "1000000000",
        ),
    ],
)
def test_huge_finite_inputs_exit_3_with_file_line(args: list[str], where: str, bound: str) -> None:
    result = CliRunner().invoke(app, ["plan", *args], env={"COLUMNS": "200"})
    assert result.exit_code == 3, result.output
    assert where in result.stderr
    assert f"less than or equal to {bound}" in result.stderr


def test_catalog_validate_refuses_what_plan_refuses() -> None:
    result = CliRunner().invoke(app, ["catalog", "validate", "tests/hostile/catalog-json/huge-finite-memory.json"])
    assert result.exit_code == 3, result.output


@pytest.mark.parametrize("command", ["plan", "check"])
def test_rates_at_the_bound_plan_without_crashing(tmp_path, command: str) -> None:
    profile = tmp_path / "chat.yaml"
    text = Path("tests/hostile/profile/huge-finite-rps.yaml").read_text().replace("1e307", "1e9")
    profile.write_text(text)
    result = CliRunner().invoke(app, [command, str(profile)], env={"COLUMNS": "200"})
    assert result.exit_code in (0, 4, 5), result.output  # a plan, or none fits: never an internal error
    assert "internal error" not in result.output
