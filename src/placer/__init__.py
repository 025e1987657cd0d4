"""placer: decide where an AI or Apple build workload should run."""

__version__ = "0.1.0"
