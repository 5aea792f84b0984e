"""A function's identity: temporary credentials of its role, as Lambda gives each execution environment.

Lambda assumes the function's role with the function's name as the session name, so every
call the function makes is signed by ``arn:aws:sts::<account>:assumed-role/<role>/<function>``
and authorised against that role's policies (see ``iam_enforcement``). The session is
created in this process through moto's STS backend, so the emulator knows the keys.
"""

from __future__ import annotations

# The longest a role session may last (12 hours); an environment idle for minutes is retired, and
# one kept busy for longer than this would see its keys expire (Lambda would renew them).
SESSION_SECONDS = 43200


def role_credentials(function) -> dict[str, str]:
    """AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN of a new session of the function's role.

    ``function`` is moto's LambdaFunction (``.role``, ``.function_name``, ``.account_id``, ``.region``).
    Called once per execution environment: each has keys of its own, as on Lambda.
    """
    from moto.sts.models import sts_backends
    from moto.utilities.utils import get_partition

    session = sts_backends[function.account_id][get_partition(function.region)].assume_role(
        region_name=function.region,
        role_session_name=function.function_name[:64],
        role_arn=function.role,
        policy=None,
        duration=SESSION_SECONDS,
        external_id=None,
    )
    return {
        "AWS_ACCESS_KEY_ID": session.access_key_id,
        "AWS_SECRET_ACCESS_KEY": session.secret_access_key,
        "AWS_SESSION_TOKEN": session.session_token,
    }


def assumed_role_session(access_key_id: str):
    """The STS session (moto's AssumedRole) that owns an access key, or None for any other key."""
    from moto.iam.models import get_account_id_from
    from moto.sts.models import sts_backends
    from moto.utilities.utils import PARTITION_NAMES

    if not access_key_id or access_key_id == "testing":
        return None
    account_id = get_account_id_from(access_key_id)
    for partition in PARTITION_NAMES:
        session = sts_backends[account_id][partition].get_assumed_role_from_access_key(access_key_id)
        if session is not None:
            return session
    return None
