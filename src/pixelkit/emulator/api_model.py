"""AWS's own model of an API (botocore's service JSON): which operation a request is, and its validation.

AWS's front end refuses a request whose members break the constraints of the API's model before any
service code runs: ``400 ValidationException`` with ``1 validation error detected: Value 'my-function!'
at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: ...``
(several: ``2 validation errors detected: ...; ...``). The constraints (``min``/``max`` lengths and
values, ``pattern``, ``enum``, required members) are the ones botocore ships for every service, so they
are read from there, never copied by hand. AWS's recordings of these answers:
LocalStack's ``tests/aws/services/lambda_/test_lambda_api.snapshot.json``,
``TestLambdaFunction::test_function_name_and_qualifier_validation`` and ``test_function_arns``.

Where AWS's wording is not derivable from the model, the difference is in the README: AWS (Java) lists an
enum's values in its own set order, this module in the model's order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qs


@lru_cache(maxsize=None)
def service_model(service: str):
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


@lru_cache(maxsize=None)
def _routes(service: str) -> list[tuple[str, re.Pattern, str]]:
    """(method, path regex, operation name) of every operation, literal-heaviest first."""
    model = service_model(service)
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        template = http["requestUri"].split("?", 1)[0]
        pattern = re.sub(r"\\\{([A-Za-z0-9_]+)\\\+\\\}", r"(?P<\1>.+)", re.escape(template))
        pattern = re.sub(r"\\\{([A-Za-z0-9_]+)\\\}", r"(?P<\1>[^/]+)", pattern)
        literal = len(re.sub(r"\{[^}]*\}", "", template))
        routes.append((literal, http["method"], re.compile(pattern + "/?"), name))
    routes.sort(key=lambda route: -route[0])
    return [(method, regex, name) for _, method, regex, name in routes]


def operation_for(service: str, method: str, path: str):
    """The operation model a request is, and its path members (as sent, decoded), or (None, {})."""
    for route_method, regex, name in _routes(service):
        if route_method == method:
            match = regex.fullmatch(path)
            if match:
                return service_model(service).operation_model(name), match.groupdict()
    return None, {}


def read_input(operation, path_members: dict, query_string: str, headers: dict, body: dict | None) -> dict:
    """The request's input members, by the model's member names, wherever the protocol carries them."""
    shape = operation.input_shape
    if shape is None:
        return {}
    query = parse_qs(query_string or "", keep_blank_values=True)
    lowered = {k.lower(): v for k, v in headers.items()}
    values: dict = {}
    payload = shape.serialization.get("payload")
    for name, member in shape.members.items():
        where = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if where == "uri":
            if wire in path_members:
                values[name] = path_members[wire]
        elif where == "querystring":
            if wire in query:
                values[name] = query[wire] if member.type_name == "list" else query[wire][0]
        elif where == "header":
            if wire.lower() in lowered:
                values[name] = lowered[wire.lower()]
        elif name == payload:
            continue  # a blob payload (Invoke's): not a member the front end validates
        elif body is not None and name in body:
            values[name] = body[name]
    return values


def java_string(value) -> str:
    """A value as AWS's (Java) front end prints it in a validation message."""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(java_string(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{java_string(k)}={java_string(v)}" for k, v in value.items()) + "}"
    return str(value)


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


@lru_cache(maxsize=None)
def _compiled(pattern: str) -> re.Pattern | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _constraints(shape, value) -> list[str]:
    """What ``value`` breaks of the shape's own constraints, in AWS's words."""
    broken = []
    meta = shape.metadata
    kind = shape.type_name
    if kind in ("string", "list", "map", "blob") and isinstance(value, (str, list, dict)):
        size = len(value)
        if "max" in meta and size > meta["max"]:
            broken.append(f"Member must have length less than or equal to {meta['max']}")
        if "min" in meta and size < meta["min"]:
            broken.append(f"Member must have length greater than or equal to {meta['min']}")
    if kind in ("integer", "long", "float", "double") and isinstance(value, (int, float)) and not isinstance(value, bool):
        if "max" in meta and value > meta["max"]:
            broken.append(f"Member must have value less than or equal to {meta['max']}")
        if "min" in meta and value < meta["min"]:
            broken.append(f"Member must have value greater than or equal to {meta['min']}")
    if kind == "string" and isinstance(value, str):
        if meta.get("pattern"):
            regex = _compiled(meta["pattern"])
            if regex is not None and regex.fullmatch(value) is None:
                broken.append(f"Member must satisfy regular expression pattern: {meta['pattern']}")
        if shape.enum and value not in shape.enum:
            broken.append(f"Member must satisfy enum value set: [{', '.join(shape.enum)}]")
    return broken


def _check(shape, value, path: str, errors: list[str]) -> None:
    if shape.metadata.get("sensitive"):
        return  # AWS does not echo a sensitive value; its messages for them are not recorded
    for constraint in _constraints(shape, value):
        errors.append(f"Value '{java_string(value)}' at '{path}' failed to satisfy constraint: {constraint}")
    if shape.type_name == "structure" and isinstance(value, dict):
        for name in shape.required_members:
            if value.get(name) is None:
                errors.append(f"Value null at '{path + '.' if path else ''}{_camel(name)}' failed to satisfy "
                              "constraint: Member must not be null")
        for name, member in shape.members.items():
            if value.get(name) is not None:
                _check(member, value[name], f"{path + '.' if path else ''}{_camel(name)}", errors)
    elif shape.type_name == "list" and isinstance(value, list):
        for item in value:
            inner: list[str] = []
            _check(shape.member, item, path, inner)
            if inner:
                errors.append(f"Value '{java_string(value)}' at '{path}' failed to satisfy constraint: Member must "
                              f"satisfy constraint: [{', '.join(_constraints(shape.member, item))}]")
                break


@dataclass
class ValidationFailed(Exception):
    errors: list[str]

    @property
    def message(self) -> str:
        count = len(self.errors)
        return f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(self.errors)


def validate(operation, values: dict) -> None:
    """Raise ``ValidationFailed`` with AWS's message when the input breaks the model's constraints."""
    shape = operation.input_shape
    if shape is None:
        return
    errors: list[str] = []
    for name in shape.required_members:
        if values.get(name) is None:
            errors.append(f"Value null at '{_camel(name)}' failed to satisfy constraint: Member must not be null")
    for name, member in shape.members.items():
        if values.get(name) is not None:
            _check(member, values[name], _camel(name), errors)
    if errors:
        raise ValidationFailed(errors)
