"""Pure estimation models (no I/O, no clock): training, inference, apple_build, plus queueing, network, egress."""
