"""Helpers for botocore's ClientError."""

from __future__ import annotations

import logging

from botocore.exceptions import ClientError

logger = logging.getLogger(__name__)


def error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def error_message(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Message", str(error))


def log_and_raise(error: ClientError, doing: str) -> None:
    logger.error("Couldn't %s: %s: %s", doing, error_code(error), error_message(error))
    raise error
