"""Tags as the kit keeps them (a dict) and as S3 and IAM take them (a list of Key/Value pairs)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


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


def select_named(
    candidates: Iterable[tuple[str, Any]],
    prefix: str,
    want: dict[str, str] | None,
    read_tags: Callable[[Any], dict[str, str] | None],
) -> list[str]:
    """The names that start with ``prefix`` and, when ``want`` is given, carry its tags.

    Tags are read only for names with the prefix: a learner may read no one else's
    (under policies/learner-policy.json, service-linked roles least of all).
    ``read_tags`` answers None for a resource that went meanwhile.
    """
    found = []
    for name, item in candidates:
        if not name.startswith(prefix):
            continue
        if want is None:
            found.append(name)
            continue
        have = read_tags(item)
        if have is not None and tags_match(have, want):
            found.append(name)
    return found
