"""Helpers for botocore's ClientError."""

from __future__ import annotations

import logging

from botocore.exceptions import ClientError

logger = logging.getLogger(__name__)


def error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def error_message(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Message", str(error))


class ExplainedError(Exception):
    """An answer of AWS that a wrapper recognised: the message says what it means and what to do.

    The kit's own ``WorkshopError`` (pixelkit.context.errors) is one; this layer defines the base so
    that the wrappers need nothing from the layers above them.
    """


def log_and_raise(error: ClientError, doing: str) -> None:
    logger.error("Couldn't %s: %s: %s", doing, error_code(error), error_message(error))
    raise error


# What AWS answers when a create finds its resource there already (yours), and a delete finds it gone.
ALREADY_THERE = {"BucketAlreadyOwnedByYou", "EntityAlreadyExists", "ResourceAlreadyExistsException",
                 "ResourceConflictException"}
NOT_THERE = {"404", "NotFound", "NoSuchBucket", "NoSuchEntity", "ResourceNotFoundException"}


def unless_already_there(call, **params) -> bool:
    """Make a create call; False instead of an error when AWS says the resource is there already (so a step runs twice)."""
    return _call_unless(ALREADY_THERE, call, params)


def unless_gone(call, **params) -> bool:
    """Make a delete call; False instead of an error when AWS says the resource is not there (so cleanup runs twice)."""
    return _call_unless(NOT_THERE, call, params)


def _call_unless(expected_codes: set[str], call, params: dict) -> bool:
    """The call, True; False when AWS answers one of ``expected_codes``; any other error logged and raised."""
    try:
        call(**params)
    except ClientError as error:
        if error_code(error) in expected_codes:
            return False
        log_and_raise(error, xform(call))
    return True


def xform(call) -> str:
    """``s3_client.delete_bucket`` as the words of a log line: "call delete_bucket"."""
    return f"call {getattr(call, '__name__', call)}"
