"""One exception type for everything a learner can fix, with the fix in its message, and
``explain``: the one message for any error a run can meet (the CLI, the notebooks and the
classroom commands all show it)."""

import os

from boto3.exceptions import Boto3Error

from botocore.exceptions import (
    BotoCoreError, ClientError, ConnectTimeoutError, EndpointConnectionError, NoCredentialsError, NoRegionError,
    ProfileNotFound, ReadTimeoutError,
)

from pixelkit.aws.errors import ExplainedError, error_code, error_message


class WorkshopError(ExplainedError):
    """A problem the learner can fix; ``str(error)`` says what happened and what to do."""


# Every error a run can meet that ``explain`` turns into one message (commands, notebooks and the classroom catch these).
LEARNER_ERRORS = (ExplainedError, ClientError, BotoCoreError, Boto3Error)


_DENIED = ("Your AWS identity lacks a permission for this: policies/learner-policy.json lists what the "
           "kit needs (the README says more).")
_GONE = ("A resource of this run is not there. If the emulator was restarted, it forgot everything: "
         "run `make setup` again. `make status` shows what exists.")
_GONE_AWS = ("A resource of this run is not there (deleted outside the kit?). `make status TARGET=aws` shows what "
             "exists; `make setup TARGET=aws` makes what is missing again.")


def _on_aws() -> bool:
    """Whether this process targets a real account (pixelkit.context.target.use_target sets WORKSHOP_TARGET)."""
    return os.environ.get("WORKSHOP_TARGET") == "aws"


def explain(error: Exception) -> str:
    """One message a learner can act on, for the errors a run can meet."""
    if isinstance(error, ExplainedError):
        return str(error)
    if isinstance(error, NoCredentialsError):
        return ("No AWS credentials were found for --target aws. Run `aws configure` (or set AWS_PROFILE), "
                "or leave out --target aws to use the local emulator.")
    if isinstance(error, NoRegionError):
        return "No AWS region is set: `export AWS_REGION=us-east-1` (or the region you use)."
    if isinstance(error, ClientError):
        code = error_code(error)
        hint = {
            "AccessDenied": _DENIED,
            "AccessDeniedException": _DENIED,
            "ExpiredToken": "Your AWS session has expired: sign in again (e.g. `aws sso login`).",
            "InvalidClientTokenId": "Your AWS credentials are not valid: check `aws sts get-caller-identity`.",
            "NoSuchBucket": _GONE_AWS if _on_aws() else _GONE,
            "ResourceNotFoundException": _GONE_AWS if _on_aws() else _GONE,
            "NoSuchEntity": _GONE_AWS if _on_aws() else _GONE,
        }.get(code, "Run the same command again; every step is safe to repeat. If it fails again, run `make cleanup`.")
        return f"AWS said {code}: {error_message(error)}\n{hint}"
    if isinstance(error, Boto3Error):  # S3UploadFailedError and kin: boto3's own, not botocore's
        return f"{error}\nRun the same command again; every step is safe to repeat. `make status` shows what exists."
    if isinstance(error, ProfileNotFound):
        return (f"{error}. `aws configure list-profiles` lists your profiles; set AWS_PROFILE to one of them, "
                "or `unset AWS_PROFILE`.")
    if isinstance(error, BotoCoreError):
        if not _on_aws():
            return f"{error}\nIs the emulator running? Start it with `make emulator` (or use `make demo`)."
        if isinstance(error, (ConnectTimeoutError, EndpointConnectionError)):
            return (f"{error}\nAWS did not answer. Check this computer's network connection (a proxy or firewall?), "
                    "the region (AWS_REGION) and AWS_ENDPOINT_URL if you set one; `aws sts get-caller-identity` "
                    "tries the same.")
        if isinstance(error, ReadTimeoutError):
            return f"{error}\nAWS accepted the call but did not answer in time. Run the command again; it is safe to repeat."
        return f"{error}\nCheck your AWS configuration (`aws configure list`) and network, then run the command again."
    raise error
