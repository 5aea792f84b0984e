"""IAM's evaluation of identity-based policies, for the emulator's enforcement.

moto has an evaluator of its own (moto/iam/access_control.py), but it matches actions
case-sensitively, has no ``NotResource``, turns an Allow whose condition does not hold
into a Deny, and supports one condition operator. This is the part of AWS's logic the
kit needs, written out: a request is allowed when some statement of the principal's
policies allows it and none denies it (an explicit Deny always wins); ``Action`` /
``NotAction`` (case-insensitive), ``Resource`` / ``NotResource`` with ``*`` and ``?``
wildcards, and the common condition operators (String*, Arn*, Bool, Null, Numeric*,
with ``...IfExists`` and ``ForAnyValue:`` / ``ForAllValues:``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache

ALLOWED, NOT_ALLOWED, DENIED = "allowed", "no allow", "explicit deny"


@dataclass
class Decision:
    outcome: str  # ALLOWED, NOT_ALLOWED (implicit deny) or DENIED (explicit deny)
    policy: str | None = None  # the policy whose statement decided, when one did
    statement: dict = field(default_factory=dict)

    @property
    def allowed(self) -> bool:
        return self.outcome == ALLOWED


@dataclass
class NamedPolicy:
    name: str  # inline policy name, or a managed policy's ARN
    document: dict


def role_policies(account_id: str, partition: str, role_name: str) -> list[NamedPolicy]:
    """The role's inline policies and the default versions of its attached managed policies."""
    from moto.iam.models import iam_backends

    backend = iam_backends[account_id][partition]
    policies = []
    for name in backend.list_role_policies(role_name):
        _, document = backend.get_role_policy(role_name, name)
        policies.append(NamedPolicy(name, _as_dict(document)))
    attached, _ = backend.list_attached_role_policies(role_name)
    for policy in attached:
        version = next(v for v in policy.versions if v.is_default)
        policies.append(NamedPolicy(policy.arn, _as_dict(version.document)))
    return policies


def _as_dict(document) -> dict:
    if isinstance(document, dict):
        return document
    from urllib.parse import unquote

    text = str(document)
    try:
        return json.loads(text)
    except ValueError:
        return json.loads(unquote(text))


def evaluate(policies: list[NamedPolicy], action: str, resource: str, context: dict | None = None) -> Decision:
    """Explicit Deny, else Allow, else the implicit deny."""
    context = {key.lower(): value for key, value in (context or {}).items()}
    allowed: Decision | None = None
    for policy in policies:
        statements = policy.document.get("Statement", [])
        for statement in statements if isinstance(statements, list) else [statements]:
            if not _applies(statement, action, resource, context):
                continue
            if statement.get("Effect") == "Deny":
                return Decision(DENIED, policy.name, statement)
            if statement.get("Effect") == "Allow" and allowed is None:
                allowed = Decision(ALLOWED, policy.name, statement)
    return allowed or Decision(NOT_ALLOWED)


def _applies(statement: dict, action: str, resource: str, context: dict) -> bool:
    if "Action" in statement:
        if not any(_matches(p, action, ignore_case=True) for p in _listed(statement["Action"])):
            return False
    elif "NotAction" in statement:
        if any(_matches(p, action, ignore_case=True) for p in _listed(statement["NotAction"])):
            return False
    else:
        return False
    if "Resource" in statement:
        if not any(_matches(p, resource) for p in _listed(statement["Resource"])):
            return False
    elif "NotResource" in statement:
        if any(_matches(p, resource) for p in _listed(statement["NotResource"])):
            return False
    return conditions_hold(statement.get("Condition") or {}, context, statement.get("Effect") == "Deny")


def _listed(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


@lru_cache(maxsize=4096)
def _pattern(pattern: str, ignore_case: bool) -> re.Pattern:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{regex}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _matches(pattern: str, value: str, ignore_case: bool = False) -> bool:
    return pattern == "*" or bool(_pattern(pattern, ignore_case).match(value))


def _arn_matches(pattern: str, value: str) -> bool:
    """ArnLike: each of the six colon-separated parts matched on its own."""
    p_parts, v_parts = pattern.split(":", 5), value.split(":", 5)
    return len(p_parts) == len(v_parts) == 6 and all(_matches(p, v) for p, v in zip(p_parts, v_parts))


def _number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


OPERATORS = {
    "StringEquals": lambda expected, actual: actual == expected,
    "StringNotEquals": lambda expected, actual: actual != expected,
    "StringEqualsIgnoreCase": lambda expected, actual: actual.lower() == expected.lower(),
    "StringNotEqualsIgnoreCase": lambda expected, actual: actual.lower() != expected.lower(),
    "StringLike": lambda expected, actual: _matches(expected, actual),
    "StringNotLike": lambda expected, actual: not _matches(expected, actual),
    "ArnEquals": lambda expected, actual: actual == expected,
    "ArnNotEquals": lambda expected, actual: actual != expected,
    "ArnLike": _arn_matches,
    "ArnNotLike": lambda expected, actual: not _arn_matches(expected, actual),
    "Bool": lambda expected, actual: str(actual).lower() == str(expected).lower(),
    "NumericEquals": lambda e, a: _number(a) is not None and _number(a) == _number(e),
    "NumericNotEquals": lambda e, a: _number(a) is not None and _number(a) != _number(e),
    "NumericLessThan": lambda e, a: _number(a) is not None and _number(e) is not None and _number(a) < _number(e),
    "NumericLessThanEquals": lambda e, a: _number(a) is not None and _number(e) is not None and _number(a) <= _number(e),
    "NumericGreaterThan": lambda e, a: _number(a) is not None and _number(e) is not None and _number(a) > _number(e),
    "NumericGreaterThanEquals": lambda e, a: _number(a) is not None and _number(e) is not None and _number(a) >= _number(e),
}
NEGATED = {"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike", "NumericNotEquals"}


def conditions_hold(block: dict, context: dict, deny: bool = False) -> bool:
    """Every operator, every key in it: true. A key missing from the request fails a positive operator
    (except ...IfExists and Null) and satisfies a negated one, as AWS documents
    (reference_policies_elements_condition_operators)."""
    for operator, keys in block.items():
        for key, expected in keys.items():
            values = _listed(expected) if not isinstance(expected, bool) else [str(expected)]
            if not _condition_holds(operator, key.lower(), values, context, deny):
                return False
    return True


_UNKNOWN_SAID: set[str] = set()


def _condition_holds(operator: str, key: str, expected: list, context: dict, deny: bool = False) -> bool:
    quantifier, _, name = operator.rpartition(":")
    if_exists = name.endswith("IfExists")
    name = name.removesuffix("IfExists")
    actual = context.get(key)
    actual_values = None if actual is None else _listed(actual) if not isinstance(actual, bool) else [str(actual).lower()]
    if name == "Null":  # "true": the key must be absent
        return (actual_values is None) == (str(expected[0]).lower() == "true")
    if name not in OPERATORS:
        # An operator this emulator does not evaluate (IpAddress, Date...): a Deny still denies, an Allow
        # grants nothing, so that the emulator is never more permissive than AWS. Said once.
        if operator not in _UNKNOWN_SAID:
            _UNKNOWN_SAID.add(operator)
            import logging

            logging.getLogger("pixelkit.emulator").warning(
                "IAM condition operator %s is not evaluated by this emulator: a Deny with it applies, an Allow "
                "with it grants nothing", operator)
        return deny
    if actual_values is None:
        return if_exists or quantifier == "ForAllValues" or name in NEGATED
    test = OPERATORS[name]
    expected = [str(e) for e in expected]

    def one(value: str) -> bool:
        if name in NEGATED:
            return all(test(e, value) for e in expected)
        return any(test(e, value) for e in expected)

    if quantifier == "ForAllValues":
        return all(one(v) for v in actual_values)
    return any(one(v) for v in actual_values)


def denial_message(principal_arn: str, action: str, resource: str, decision: Decision, quote_resource: bool = False) -> str:
    """AWS's wording, e.g. '... because no identity-based policy allows the s3:PutObject action'."""
    shown = f'"{resource}"' if quote_resource else resource
    why = (
        "with an explicit deny in an identity-based policy"
        if decision.outcome == DENIED
        else f"because no identity-based policy allows the {action} action"
    )
    return f"User: {principal_arn} is not authorized to perform: {action} on resource: {shown} {why}"


# Public names for the teaching side (pixelkit.teaching.iam_advice): a policy element's values as a list, IAM's wildcard match.
listed, matches = _listed, _matches
