"""Small profiles the budget-gate tests share: within, over, per-month, and without a budget."""

UNDER = """kind: training
name: small-train
model: {parameters: 1B}
training: {tokens: 20B}
resources: {count: 8}
constraints: {exclude_providers: [meta]}
budget:
  max_usd: 100000
"""
OVER = """kind: training
name: big-train
model: {parameters: 8B}
training: {tokens: 50B}
resources: {count: 8}
constraints: {exclude_providers: [meta]}
budget:
  max_usd: 1000
"""
SERVICE = """kind: inference
name: small-service
model: {parameters: 8B}
inference: {requests_per_second: 2, input_tokens: 500, output_tokens: 200}
budget: {max_usd: 1000}
"""
NO_BUDGET = """kind: apple-build
name: small-ios
build: {jobs_per_day: 20, minutes_per_job: 10}
"""
