"""Tags as the kit keeps them (a dict) and as S3 and IAM take them (a list of Key/Value pairs)."""

from __future__ import annotations


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    """``{"k": "v"}`` as ``[{"Key": "k", "Value": "v"}]``, sorted, for S3's TagSet and IAM's Tags."""
    return [{"Key": key, "Value": value} for key, value in sorted(tags.items())]


def tag_dict(tag_list_: list[dict[str, str]]) -> dict[str, str]:
    """The other way round: a TagSet or an IAM Tags list as a dict."""
    return {tag["Key"]: tag["Value"] for tag in tag_list_}


def tags_match(have: dict[str, str] | None, want: dict[str, str]) -> bool:
    """True when ``have`` holds every tag of ``want`` with the same value (and perhaps others)."""
    have = have or {}
    return all(have.get(key) == value for key, value in want.items())
