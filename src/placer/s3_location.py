"""An ``s3://bucket/prefix`` as a profile writes it: checked (S3's bucket naming rules, key length) without
the network, so every profile can be validated, and the region name GetBucketLocation means.

Kept apart from ``placer.dataset`` (which lists the bucket with boto3): every ``placer plan`` reads a profile and
so imports this, and nothing here may cost start-up time.
"""

import re
from typing import NamedTuple

MAX_KEY_BYTES = 1024  # the longest S3 object key
DEFAULT_REGION = "us-east-1"  # what GetBucketLocation's null means
LEGACY_CONSTRAINTS = {"EU": "eu-west-1"}  # pre-2011 values GetBucketLocation still returns
RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]*[a-z0-9]")
_IPV4 = re.compile(r"\d{1,3}(\.\d{1,3}){3}")


def is_s3(location: str) -> bool:
    return location[:5].lower() == "s3://"


# NamedTuples with real (not string) annotations: every `placer plan` imports this module, and dataclasses or
# string annotations would cost it milliseconds at start-up.
class S3Location(NamedTuple):
    bucket: str
    prefix: str  # "" for the whole bucket

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


def bucket_problem(bucket: str) -> str | None:
    """Why ``bucket`` cannot name an S3 bucket (the general purpose naming rules), or None.

    Access point aliases (``…-s3alias``, ``…--ol-s3``) and directory buckets (``…--x-s3``) are accepted:
    S3 takes them wherever a bucket name goes.
    """
    if not 3 <= len(bucket) <= 63:
        return f"is {len(bucket)} characters long; bucket names have 3 to 63"
    if not _BUCKET.fullmatch(bucket):
        return "may hold only lowercase letters, digits, dots and hyphens, and start and end with a letter or digit"
    if ".." in bucket:
        return "has two adjacent dots"
    if _IPV4.fullmatch(bucket):
        return "is formatted as an IP address"
    reserved = next((p for p in RESERVED_PREFIXES if bucket.startswith(p)), None)
    if reserved:
        return f"starts with {reserved!r}, which AWS reserves"
    return None


def parse_location(location: str) -> S3Location:
    """``s3://bucket``, ``s3://bucket/`` or ``s3://bucket/prefix``; ValueError saying what is wrong."""
    if not is_s3(location):
        scheme = location.split("://", 1)[0]
        raise ValueError(
            f"only s3:// URLs are measured, not {scheme}://; for data elsewhere give size_gb and its "
            "region as location (e.g. gcp/us-central1)"
        )
    rest = location[5:]
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise ValueError(f"{location!r} names no bucket; expected s3://BUCKET/PREFIX")
    why = bucket_problem(bucket)
    if why:
        raise ValueError(f"bucket name {bucket!r} {why}")
    if len(prefix.encode("utf-8")) > MAX_KEY_BYTES:
        raise ValueError(f"the prefix is longer than an S3 key can be ({MAX_KEY_BYTES} bytes)")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in prefix):
        raise ValueError("the prefix holds a control character")
    return S3Location(bucket, prefix)


def check_location(location: str) -> str:
    """The profile's validator for ``data.location``: URLs must be well-formed s3:// ones."""
    if "://" in location:
        parse_location(location)
    return location


def aws_region(constraint: str | None) -> str:
    """The region GetBucketLocation means: null is us-east-1, the legacy ``EU`` is eu-west-1."""
    if not constraint:
        return DEFAULT_REGION
    return LEGACY_CONSTRAINTS.get(constraint, constraint)
