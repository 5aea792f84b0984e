"""The emulator's Lambda API, read per operation: each operation's checks in one place, in AWS's order.

Like moto's ``responses.py`` and LocalStack's ``provider.py``, every Lambda request is read here
first: which operation it is (botocore's model of the API), its members validated against the
model's constraints (``api_model``: ``ValidationException``), the function it names resolved (a full
ARN means the function of that name; an ARN of another region is ``ResourceNotFoundException``
"Functions from 'R' are not reachable in this region ('r')"), the caller authorised (``iam_enforcement``),
then the operation's own checks in the order of ``CHECKS``. Invoke, GetAccountSettings and
Get/PutFunctionRecursionConfig are answered here; the other operations go on to moto, whose answer is
made Lambda's: the status code of the model (AddPermission 201, TagResource 204), Lambda's error
bodies (``Type: User`` and ``message``; ``Message`` for ``ResourceNotFoundException``; ``message``
alone for ``ValidationException``, as AWS's front end answers), and ``x-amzn-RequestId``, which for
Invoke is the invocation's ``aws_request_id``.

AWS's answers followed are its recordings in LocalStack's ``tests/aws/services/lambda_/``
(``test_lambda_api.snapshot.json``: ``test_function_name_and_qualifier_validation``,
``test_function_arns``, ``test_get_function_wrong_region``, ``test_ops_on_nonexisting_fn``,
``test_lambda_code_location_s3_errors``, ``test_large_environment_variables_fails``,
``test_oversized_zipped_create_lambda``, ``test_lambda_concurrent_code_updates``,
``TestLambdaRecursion``, ``TestLambdaAccountSettings``; ``test_lambda.snapshot.json``:
``test_lambda_invoke_payload_encoding_error``, ``test_lambda_too_large_response``) and the API
reference (https://docs.aws.amazon.com/lambda/latest/api/).
"""

from __future__ import annotations

import base64
import io
import json
import logging
import re
import threading
import uuid
from dataclasses import dataclass, field
from urllib.parse import quote

from pixelkit.emulator import api_model, deployment_packages, function_configuration, iam_enforcement, runtimes
from pixelkit.emulator.iam_requests import InvalidSessionToken, Principal, principal_for
from pixelkit.emulator.runtime_environment import RESERVED_VARIABLES

logger = logging.getLogger("pixelkit.emulator")

ENVIRONMENT_LIMIT = 4096  # bytes of the variables as JSON (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html)
FUNCTION_NAME_LIMIT = 64
RESPONSE_LIMIT = 6291556  # what Lambda's Function.ResponseSizeTooLarge names (6 MB and a margin)
ACCOUNT_CONCURRENCY = 1000  # the default quota of a new account; the emulator runs fewer at once
# The Lambda operations whose IAM action has another name.
IAM_ACTIONS = {"Invoke": "InvokeFunction"}
# Operations whose not-found message names the qualified ARN ($LATEST when none is given).
QUALIFIED_NOT_FOUND = {"Invoke", "GetFunctionEventInvokeConfig", "PutFunctionEventInvokeConfig",
                       "UpdateFunctionEventInvokeConfig", "DeleteFunctionEventInvokeConfig"}
# Operations whose answer names the function's event invoke config(s) by the qualified ARN.
EVENT_INVOKE_CONFIG_ANSWERS = {"PutFunctionEventInvokeConfig", "UpdateFunctionEventInvokeConfig",
                               "GetFunctionEventInvokeConfig", "ListFunctionEventInvokeConfigs"}
# Lambda's name parts, as the model's FunctionName patterns spell them.
_REGION = r"(?:eusc-)?[a-z]{2}(?:(?:-gov)|(?:-iso(?:[a-z]?)))?-[a-z]+-\d{1}"
_FUNCTION_NAME = re.compile(
    rf"(?:arn:(?P<partition>aws[a-zA-Z-]*)?:lambda:)?(?:(?P<region>{_REGION}):)?(?:(?P<account>\d{{12}}):)?"
    r"(?:function:)?(?P<name>[a-zA-Z0-9-_\.]+)(?::(?P<qualifier>\$LATEST(?:\.PUBLISHED)?|[a-zA-Z0-9-_]+))?")

_current = threading.local()  # the request this thread serves: its request id


def current_request_id() -> str | None:
    """The request id of the Lambda request this thread serves (Invoke's becomes ``aws_request_id``)."""
    return getattr(_current, "request_id", None)


class LambdaError(Exception):
    """An answer of Lambda's: error code, message, HTTP status and the other members its model gives."""

    def __init__(self, code: str, message: str, status: int = 400, **fields):
        super().__init__(message)
        self.code, self.message, self.status, self.fields = code, message, status, fields

    def body(self) -> dict:
        if self.code in ("ValidationException", "RequestEntityTooLargeException"):
            return {"message": self.message}  # the front end's answer: no Type
        if self.code == "ResourceNotFoundException":
            return {"Type": "User", "Message": self.message}
        return {**self.fields, "Type": "User", "message": self.message}


def conflict(message: str) -> LambdaError:
    return LambdaError("ResourceConflictException", message, 409)


@dataclass
class LambdaRequest:
    """One Lambda request as the operation's checks see it."""

    operation: str
    members: dict
    environ: dict
    body: bytes
    account_id: str
    region: str
    partition: str
    access_key: str
    token: str | None
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_name: str | None = None  # the plain name, whatever form FunctionName took
    qualifier: str | None = None
    path_rewrite: tuple[str, str] | None = None  # FunctionName as sent -> as moto is to read it

    @property
    def function_arn(self) -> str:
        return f"arn:{self.partition}:lambda:{self.region}:{self.account_id}:function:{self.function_name}"

    def principal(self) -> Principal | None:
        return principal_for(self.access_key, self.token, self.account_id, self.region)

    def backend(self):
        from moto.awslambda.utils import get_backend

        return get_backend(self.account_id, self.region)

    def function(self):
        """moto's function, or None."""
        try:
            return self.backend().get_function(self.function_name)
        except Exception:
            return None

    def existing_function(self):
        function = self.function()
        if function is None:
            arn = self.function_arn
            if self.operation in QUALIFIED_NOT_FOUND:
                arn += f":{self.qualifier or '$LATEST'}"
            raise LambdaError("ResourceNotFoundException", f"Function not found: {arn}", 404)
        return function


# The Lambda service that runs invocations (``moto_changes.install`` sets it).
settings = {"lambda_service": None}


# Checks shared by operations -------------------------------------------------------------------

def check_name_length(request: LambdaRequest) -> None:
    """CreateFunction: the name itself is at most 64 characters (the model allows 140 for the ARN)."""
    if request.function_name and len(request.function_name) > FUNCTION_NAME_LIMIT:
        raise LambdaError("InvalidParameterValueException",
                          f"1 validation error detected: Value '{request.function_name}' at 'functionName' failed to "
                          f"satisfy constraint: Member must have length less than or equal to {FUNCTION_NAME_LIMIT}")


def check_name_free(request: LambdaRequest) -> None:
    if request.function() is not None:
        raise conflict(f"Function already exist: {request.function_name}")


def check_runtime(request: LambdaRequest) -> None:
    """A runtime Lambda does not know is refused as Lambda refuses it; then what the emulator can run."""
    members = request.members
    if "Runtime" not in members and request.operation != "CreateFunction":
        return
    if members.get("PackageType", "Zip") != "Zip":
        return
    runtime = members.get("Runtime")
    known = api_model.service_model("lambda").shape_for("Runtime").enum
    if runtime is not None and runtime not in known:
        raise LambdaError("InvalidParameterValueException",
                          f"Value {runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum value "
                          f"set: [{', '.join(known)}] or be a valid ARN")
    try:
        runtimes.check_runtime(runtime)
    except runtimes.RuntimeRefused as refused:
        raise LambdaError(refused.code, refused.message) from None


def check_reserved_variables(request: LambdaRequest) -> None:
    variables = (request.members.get("Environment") or {}).get("Variables") or {}
    reserved = sorted(set(variables) & RESERVED_VARIABLES)
    if reserved:
        raise LambdaError("InvalidParameterValueException",
                          "Lambda was unable to configure your environment variables because the environment "
                          "variables you have provided contains reserved keys that are currently not supported "
                          f"for modification. Reserved keys used in this request: {', '.join(reserved)}")


def check_environment_size(request: LambdaRequest) -> None:
    variables = (request.members.get("Environment") or {}).get("Variables")
    if variables is None:
        return
    measured = json.dumps(variables, separators=(",", ":"), ensure_ascii=False)
    if len(measured.encode()) > ENVIRONMENT_LIMIT:
        raise LambdaError("InvalidParameterValueException",
                          "Lambda was unable to configure your environment variables because the environment variables "
                          f"you have provided exceeded the 4KB limit. String measured: {measured}")


def _code_of(request: LambdaRequest) -> dict:
    if request.operation == "CreateFunction":
        return request.members.get("Code") or {}
    if request.operation == "PublishLayerVersion":
        return request.members.get("Content") or {}
    return request.members  # UpdateFunctionCode: ZipFile, S3Bucket... at the top


def _zip_bytes(request: LambdaRequest) -> bytes | None:
    """The package's bytes: given in the request, or read from S3 as Lambda reads them."""
    code = _code_of(request)
    if code.get("ZipFile"):
        value = code["ZipFile"]
        return base64.b64decode(value) if isinstance(value, str) else value
    if code.get("S3Bucket"):
        from moto.s3.models import s3_backends

        try:
            key = s3_backends[request.account_id][request.partition].get_object(
                code["S3Bucket"], code.get("S3Key", ""), version_id=code.get("S3ObjectVersion"))
        except Exception as error:
            s3_code = getattr(error, "code", None) or type(error).__name__
            s3_message = getattr(error, "message", None) or str(error)
            raise LambdaError("InvalidParameterValueException",
                              f"Error occurred while GetObject. S3 Error Code: {s3_code}. S3 Error Message: "
                              f"{s3_message}") from None
        if key is None:
            raise LambdaError("InvalidParameterValueException",
                              "Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The "
                              "specified key does not exist.")
        return key.value
    return None


def check_package_sizes(request: LambdaRequest) -> None:
    """The request, the zip, and the code unzipped with its layers, against Lambda's limits."""
    length = int(request.environ.get("CONTENT_LENGTH") or 0)
    if length > deployment_packages.REQUEST_LIMIT:
        raise LambdaError("RequestEntityTooLargeException", f"Request must be smaller than "
                          f"{deployment_packages.REQUEST_LIMIT} bytes for the {request.operation} operation", 413)
    zip_bytes = _zip_bytes(request)
    if zip_bytes is None:
        return
    if len(zip_bytes) > deployment_packages.ZIPPED_LIMIT:
        raise LambdaError("RequestEntityTooLargeException",
                          f"Zipped size must be smaller than {deployment_packages.ZIPPED_LIMIT} bytes", 413)
    try:
        total = deployment_packages.unzipped_size(zip_bytes)
        if request.operation != "PublishLayerVersion":
            total += sum(deployment_packages.unzipped_size(layer.code_bytes) for layer in _layers(request))
        deployment_packages.check_unzipped(total)
    except deployment_packages.PackageRefused as refused:
        raise LambdaError(refused.code, refused.message, refused.status) from None


def _layers(request: LambdaRequest) -> list:
    arns = request.members.get("Layers")
    if arns is None and request.operation == "UpdateFunctionCode":
        function = request.function()
        arns = [layer["Arn"] for layer in (function.layers or [])] if function else []
    backend = request.backend()
    found = [backend.layers_versions_by_arn(arn) for arn in arns or []]
    return [layer for layer in found if layer is not None]


def _role(request: LambdaRequest):
    from moto.iam.models import iam_backends

    arn = request.members.get("Role")
    if not arn:
        return None
    try:
        return iam_backends[arn.split(":")[4] or request.account_id][request.partition].get_role_by_arn(arn)
    except Exception:
        return None  # moto says what is wrong with a role that does not exist


def check_trust_policy(request: LambdaRequest) -> None:
    role = _role(request)
    if role is not None and not iam_enforcement.lambda_may_assume(role.assume_role_policy_document):
        logger.warning("%s refused: the trust policy of %s does not let %s assume it", request.operation,
                       role.arn, iam_enforcement.LAMBDA_SERVICE)
        raise LambdaError("InvalidParameterValueException", iam_enforcement.ROLE_CANNOT_BE_ASSUMED)


def check_role_age(request: LambdaRequest) -> None:
    """Strict: a role younger than IAM's propagation cannot be assumed yet (``strict.role_is_new``)."""
    from pixelkit.emulator import strict

    role = _role(request)
    if strict.settings["strict"] and role is not None and strict.role_is_new(role, strict.settings["role_propagation_seconds"]):
        raise LambdaError("InvalidParameterValueException", iam_enforcement.ROLE_CANNOT_BE_ASSUMED)


def check_pass_role(request: LambdaRequest) -> None:
    """Handing a role to Lambda needs iam:PassRole on it, for lambda.amazonaws.com."""
    role = request.members.get("Role")
    principal = request.principal()
    if role and principal is not None:
        message = iam_enforcement.authorize(principal, "iam:PassRole", role,
                                            {"iam:PassedToService": iam_enforcement.LAMBDA_SERVICE})
        if message is not None:
            raise LambdaError("AccessDeniedException", message, 403)


def check_no_update_in_progress(request: LambdaRequest) -> None:
    function = request.existing_function()
    record = function_configuration.record_of(function.function_arn)
    if record.pending() or record.updating():
        raise conflict("The operation cannot be performed at this time. An update is in progress for resource: "
                       f"{function.function_arn}")


def check_active(request: LambdaRequest) -> None:
    function = request.existing_function()
    if function_configuration.record_of(function.function_arn).pending():
        raise conflict("The operation cannot be performed at this time. The function is currently in the following "
                       "state: Pending")


def check_function_exists(request: LambdaRequest) -> None:
    request.existing_function()


# The operations ---------------------------------------------------------------------------------

# Each operation's checks, in the order Lambda makes them (after the model's validation, the function's
# name and region, and the caller's authorisation of the operation itself).
CHECKS = {
    "CreateFunction": [check_name_length, check_name_free, check_runtime, check_reserved_variables,
                       check_environment_size, check_package_sizes, check_trust_policy, check_role_age,
                       check_pass_role],
    "UpdateFunctionConfiguration": [check_no_update_in_progress, check_runtime, check_reserved_variables,
                                    check_environment_size, check_trust_policy, check_pass_role],
    "UpdateFunctionCode": [check_no_update_in_progress, check_package_sizes],
    "PublishLayerVersion": [check_package_sizes],
    "Invoke": [check_active],
    "PutFunctionEventInvokeConfig": [check_function_exists],
    "GetFunctionRecursionConfig": [check_function_exists],
    "PutFunctionRecursionConfig": [check_function_exists],
}


def answer_get_account_settings(request: LambdaRequest) -> tuple[int, dict, bytes]:
    backend = request.backend()
    functions = list(backend.list_functions())
    reserved = sum(int(f.reserved_concurrency or 0) for f in functions)
    code_size = sum(int(f.code_size or 0) for f in functions)
    body = {
        "AccountLimit": {
            "TotalCodeSize": 80530636800, "CodeSizeUnzipped": deployment_packages.UNZIPPED_LIMIT,
            "CodeSizeZipped": deployment_packages.ZIPPED_LIMIT, "ConcurrentExecutions": ACCOUNT_CONCURRENCY,
            "UnreservedConcurrentExecutions": ACCOUNT_CONCURRENCY - reserved,
        },
        "AccountUsage": {"TotalCodeSize": code_size, "FunctionCount": len(functions)},
    }
    return 200, {}, json.dumps(body).encode()


def answer_get_recursion_config(request: LambdaRequest) -> tuple[int, dict, bytes]:
    record = function_configuration.record_of(request.existing_function().function_arn)
    return 200, {}, json.dumps({"RecursiveLoop": record.recursive_loop}).encode()


def answer_put_recursion_config(request: LambdaRequest) -> tuple[int, dict, bytes]:
    record = function_configuration.record_of(request.existing_function().function_arn)
    record.recursive_loop = request.members.get("RecursiveLoop", "Terminate")
    return 200, {}, json.dumps({"RecursiveLoop": record.recursive_loop}).encode()


def answer_invoke(request: LambdaRequest) -> tuple[int, dict, bytes]:
    """Invoke: the payload must be JSON in UTF-8; then the Lambda service runs the function."""
    payload = request.body or b"{}"
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as error:
        kind = "start" if error.reason == "invalid start byte" else "middle"
        raise LambdaError("InvalidRequestContentException",
                          "Could not parse request body into json: Could not parse payload into json: Invalid UTF-8 "
                          f"{kind} byte 0x{payload[error.start]:02x}") from None
    try:
        json.loads(text)
    except ValueError as error:
        raise LambdaError("InvalidRequestContentException",
                          f"Could not parse request body into json: Could not parse payload into json: {error}") from None
    function = request.existing_function()
    headers = {name[5:].replace("_", "-").lower(): value for name, value in request.environ.items()
               if name.startswith("HTTP_")}
    kind = headers.get("x-amz-invocation-type", "RequestResponse")
    response_headers: dict[str, str] = {}
    body = settings["lambda_service"].invoke(function, payload, headers, response_headers, request.request_id,
                                       request.qualifier)
    if kind == "Event":
        return 202, response_headers, b""
    if kind == "DryRun":
        return 204, response_headers, b""
    if len(body) > RESPONSE_LIMIT:
        response_headers["x-amz-function-error"] = "Unhandled"
        body = json.dumps({"errorMessage": "Response payload size exceeded maximum allowed payload size "
                           f"({RESPONSE_LIMIT} bytes).", "errorType": "Function.ResponseSizeTooLarge"}).encode()
    return 200, response_headers, body


ANSWERS = {
    "Invoke": answer_invoke,
    "GetAccountSettings": answer_get_account_settings,
    "GetFunctionRecursionConfig": answer_get_recursion_config,
    "PutFunctionRecursionConfig": answer_put_recursion_config,
}


# Reading a request ------------------------------------------------------------------------------

def _credential(environ: dict) -> tuple[str, str, str]:
    """(access key, region, service) of the request's signature."""
    match = re.search(r"Credential=([^/]+)/[^/]+/([^/]+)/([^/]+)/", environ.get("HTTP_AUTHORIZATION", ""))
    return match.groups() if match else ("", "", "")


def resolve_function_name(request: LambdaRequest, path_members: dict) -> None:
    """FunctionName in any of its forms -> the plain name (and qualifier), or Lambda's refusal."""
    given = request.members.get("FunctionName")
    if given is None:
        return
    match = _FUNCTION_NAME.fullmatch(given)
    if match is None:
        return  # the model's validation has answered
    region = match.group("region")
    if region and region != request.region:
        raise LambdaError("ResourceNotFoundException",
                          f"Functions from '{region}' are not reachable in this region ('{request.region}')", 404)
    request.function_name = match.group("name")
    derived, explicit = match.group("qualifier"), request.members.get("Qualifier")
    if derived and explicit and derived != explicit:
        raise LambdaError("InvalidParameterValueException",
                          "The derived qualifier from the function name does not match the specified qualifier.")
    request.qualifier = derived or explicit
    if "FunctionName" in path_members:
        plain = request.function_name + (f":{derived}" if derived and derived != "$LATEST" else "")
        if plain != given:
            request.path_rewrite = (path_members["FunctionName"], plain)


def _authorize(request: LambdaRequest) -> None:
    principal = request.principal()
    if principal is None:
        return
    action = "lambda:" + IAM_ACTIONS.get(request.operation, request.operation)
    resource = "*"
    if request.function_name:
        resource = request.function_arn + (f":{request.qualifier}" if request.qualifier else "")
    elif request.members.get("Resource"):
        resource = request.members["Resource"]
    message = iam_enforcement.authorize(principal, action, resource, {"aws:RequestedRegion": request.region})
    if message is not None:
        raise LambdaError("AccessDeniedException", message, 403)


class LambdaAPI:
    """WSGI middleware: Lambda's requests are read here, the rest go straight to moto."""

    def __init__(self, app):
        self.app = app
        api_model.service_model("lambda")  # read once now, not during a learner's first call

    def __call__(self, environ, start_response):
        access_key, region, service = _credential(environ)
        if service != "lambda":
            return self.app(environ, start_response)
        operation, path_members = api_model.operation_for("lambda", environ.get("REQUEST_METHOD", "GET"),
                                                          environ.get("PATH_INFO", ""))
        if operation is None:
            return self.app(environ, start_response)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)) if environ.get("CONTENT_LENGTH") else b""
        from moto.iam.models import get_account_id_from
        from moto.utilities.utils import get_partition

        request = LambdaRequest(operation.name, {}, environ, body, get_account_id_from(access_key), region,
                                get_partition(region), access_key, environ.get("HTTP_X_AMZ_SECURITY_TOKEN"))
        _current.request_id = request.request_id
        try:
            status, headers, out = self._serve(request, operation, path_members, start_response)
        except Exception as error:
            error = _as_lambda_error(error)
            status, headers, out = error.status, {"x-amzn-ErrorType": error.code}, json.dumps(error.body()).encode()
            headers["Content-Type"] = "application/json"
        finally:
            _current.request_id = None
        headers["x-amzn-RequestId"] = request.request_id
        headers.setdefault("Content-Type", "application/json")
        headers["Content-Length"] = str(len(out))
        start_response(_status_line(status), list(headers.items()))
        return [out]

    def _serve(self, request: LambdaRequest, operation, path_members: dict, start_response):
        if operation.input_shape is not None and request.body and operation.name != "Invoke":
            try:
                payload = json.loads(request.body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as error:
                raise LambdaError("InvalidRequestContentException",
                                  f"Could not parse request body into json: {error}") from None
        else:
            payload = None
        request.members = api_model.read_input(operation, path_members, request.environ.get("QUERY_STRING", ""),
                                               {k[5:].replace("_", "-"): v for k, v in request.environ.items()
                                                if k.startswith("HTTP_")}, payload if isinstance(payload, dict) else None)
        checked = {k: v for k, v in request.members.items() if k != "Runtime"}  # Lambda's own answer: check_runtime
        try:
            api_model.validate(operation, checked)
        except api_model.ValidationFailed as failed:
            raise LambdaError("ValidationException", failed.message) from None
        resolve_function_name(request, path_members)
        _authorize(request)
        for check in CHECKS.get(request.operation, []):
            check(request)
        if request.operation in ANSWERS:
            return ANSWERS[request.operation](request)
        return self._moto(request, operation, payload)

    def _moto(self, request: LambdaRequest, operation, payload):
        environ = dict(request.environ)
        body = request.body
        if request.operation == "CreateFunction" and isinstance(payload, dict) and payload.get("FunctionName") != request.function_name:
            payload = dict(payload, FunctionName=request.function_name)
            body = json.dumps(payload).encode()
        if request.path_rewrite:
            sent, plain = request.path_rewrite
            environ["PATH_INFO"] = environ["PATH_INFO"].replace(sent, plain, 1)
            environ["RAW_URI"] = environ["REQUEST_URI"] = quote(environ["PATH_INFO"]) + (
                "?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else "")
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        changes = request.operation in ("CreateFunction", "UpdateFunctionConfiguration", "UpdateFunctionCode")
        if request.operation == "CreateFunction":
            function_configuration.creating(request.function_arn, request.members)
        elif changes:
            function_configuration.updating(request.function_arn, request.members)
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        chunks = self.app(environ, capture)
        try:
            out = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        status = int(captured["status"].split()[0])
        headers = {name: value for name, value in captured["headers"]
                   if name.lower() not in ("content-length", "x-amzn-requestid", "x-amz-request-id")}
        if status >= 400:
            if request.operation == "CreateFunction":
                function_configuration.deleted(request.function_arn)
            elif changes:
                function_configuration.settle(request.function_arn)
            return self._error(request, status, headers, out)
        if changes:
            function_configuration.settle(request.function_arn)
        if request.operation == "DeleteFunction" and not request.qualifier:
            function_configuration.deleted(request.function_arn)
        if request.operation in EVENT_INVOKE_CONFIG_ANSWERS:
            out = self._qualify_event_invoke_configs(request, out)
        expected = operation.http.get("responseCode", 200)
        if status != expected and 200 <= status < 300:
            status = expected
        if status == 204:
            out = b""
        return status, headers, out

    def _qualify_event_invoke_configs(self, request: LambdaRequest, out: bytes) -> bytes:
        """An event invoke config names the qualified function: ``...:function:name:$LATEST``."""
        try:
            body = json.loads(out)
        except ValueError:
            return out
        qualified = f"{request.function_arn}:{request.qualifier or '$LATEST'}"
        for config in body.get("FunctionEventInvokeConfigs", [body]):
            if config.get("FunctionArn") == request.function_arn:
                config["FunctionArn"] = qualified
        return json.dumps(body).encode()

    def _error(self, request: LambdaRequest, status: int, headers: dict, out: bytes):
        """moto's error, in Lambda's body."""
        try:
            body = json.loads(out or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            logger.warning("lambda %s: moto answered %d without a JSON body", request.operation, status)
            raise LambdaError("ServiceException", f"The emulator could not serve {request.operation}.", 500)
        code = str(body.get("__type") or body.get("Type") or headers.get("x-amzn-ErrorType", "ServiceException"))
        code = code.split("#")[-1].split(":")[0]
        message = body.get("message") or body.get("Message") or ""
        fields = {k: v for k, v in body.items() if k not in ("__type", "message", "Message", "Type")}
        if code == "ResourceNotFoundException" and request.operation in QUALIFIED_NOT_FOUND and request.function_name:
            message = message.replace(f"{request.function_arn} ", f"{request.function_arn}:{request.qualifier or '$LATEST'} ")
        raise LambdaError(code, message, status, **fields)


def _as_lambda_error(error: Exception) -> LambdaError:
    """Any failure while serving, as Lambda answers it."""
    from moto.core.exceptions import _RESTError as RESTError

    if isinstance(error, LambdaError):
        return error
    if isinstance(error, InvalidSessionToken):
        return LambdaError("UnrecognizedClientException", "The security token included in the request is invalid.", 403)
    if isinstance(error, RESTError):
        fields = {}
        try:
            fields = {k: v for k, v in json.loads(error.description).items() if k not in ("__type", "message", "Type")}
        except (TypeError, ValueError, AttributeError):
            pass
        return LambdaError(error.error_type, error.message, error.code, **fields)
    logger.exception("lambda: the emulator failed to serve a request")
    return LambdaError("ServiceException", f"The emulator failed: {error}", 500)


def _status_line(status: int) -> str:
    from http import HTTPStatus

    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"
