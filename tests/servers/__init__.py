"""Loopback fake servers for the live-refresh tests: real sockets on 127.0.0.1 (OS-assigned ports), real HTTP,
recorded-shape payloads, and faults injected per request (delays past the client timeout, connection resets,
5xx, 429 with Retry-After, truncated bodies, invalid JSON)."""

from servers.aws_pricing import AwsPricingFake, price_list_entry
from servers.azure_prices import AzureRetailPricesFake
from servers.base import FakeServer, Reply, Seen
from servers.lambda_api import LambdaCloudFake

__all__ = [
    "AwsPricingFake",
    "AzureRetailPricesFake",
    "FakeServer",
    "LambdaCloudFake",
    "Reply",
    "Seen",
    "price_list_entry",
]
