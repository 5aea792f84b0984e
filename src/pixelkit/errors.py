"""One exception type for everything a learner can fix, with the fix in its message, and
``explain``: the one message for any error a run can meet (the CLI, the notebooks and the
classroom commands all show it)."""

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from pixelkit.aws.errors import error_code, error_message


class WorkshopError(Exception):
    """A problem the learner can fix; ``str(error)`` says what happened and what to do."""


_DENIED = ("Your AWS identity lacks a permission for this: policies/learner-policy.json lists what the "
           "kit needs (the README says more).")
_GONE = ("A resource of this run is not there. If the emulator was restarted, it forgot everything: "
         "run `make setup` again. `make status` shows what exists.")


def explain(error: Exception) -> str:
    """One message a learner can act on, for the errors a run can meet."""
    if isinstance(error, WorkshopError):
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
            "NoSuchBucket": _GONE,
            "ResourceNotFoundException": _GONE,
            "NoSuchEntity": _GONE,
        }.get(code, "Run the same command again; every step is safe to repeat. If it fails again, run `make cleanup`.")
        return f"AWS said {code}: {error_message(error)}\n{hint}"
    if isinstance(error, BotoCoreError):
        return f"{error}\nIs the endpoint reachable? For the local target, start it with `make emulator`."
    raise error
