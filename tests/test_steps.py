"""Each step against moto: it creates what it should, it is idempotent, and cleanup leaves nothing."""

from __future__ import annotations

import json

import pytest

from pixelkit.tutorial import steps
from pixelkit.context.errors import WorkshopError
from pixelkit.context.state import load_state, state_path


def kit_inventory(ws) -> dict[str, list[str]]:
    return steps.inventory(ws)


def test_step1_creates_two_private_encrypted_tagged_buckets(moto_workshop):
    result = steps.create_buckets(moto_workshop)
    s3 = moto_workshop.client("s3")
    for bucket in (result["source_bucket"], result["destination_bucket"]):
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert all(block.values())
        rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
        assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
        tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
        assert tags["workshop"] == "pixelation-workshop"
    assert result["source_bucket"].startswith("day38-source-")
    assert result["destination_bucket"].startswith("day38-destination-")
    state = load_state()
    assert state.source_bucket == result["source_bucket"] and state.account_id == "123456789012"


def test_step2_role_trusts_lambda_and_policy_is_least_privilege(moto_workshop):
    steps.create_buckets(moto_workshop)
    steps.create_role(moto_workshop)
    state = moto_workshop.state
    iam = moto_workshop.client("iam")
    trust = iam.get_role(RoleName="day38-role")["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    policy = iam.get_role_policy(RoleName="day38-role", PolicyName="day38-inline")["PolicyDocument"]
    actions = {a for s in policy["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert "s3:*" not in actions
    by_action = {s["Action"]: s["Resource"] for s in policy["Statement"] if isinstance(s["Action"], str)}
    assert by_action["s3:GetObject"] == f"arn:aws:s3:::{state.source_bucket}/*"
    assert by_action["s3:PutObject"] == f"arn:aws:s3:::{state.destination_bucket}/*"
    assert "YOURACCOUNTID" not in json.dumps(policy) and "123456789012" in json.dumps(policy)


def test_tutorial_policy_is_available_for_comparison(moto_workshop):
    steps.create_buckets(moto_workshop)
    result = steps.create_role(moto_workshop, policy="tutorial")
    assert result["policy"]["Statement"][0]["Action"] == ["s3:*"]


def test_setup_configures_function_and_trigger(moto_workshop):
    steps.setup(moto_workshop)
    state = moto_workshop.state
    lam = moto_workshop.client("lambda")
    config = lam.get_function(FunctionName="day38-image_pixelator")["Configuration"]
    assert config["Runtime"] == "python3.13"
    assert config["Handler"] == "lambda_function.lambda_handler"
    assert config["Architectures"] == ["x86_64"]
    assert config["Timeout"] == 60
    assert config["Environment"]["Variables"] == {"destination_bucket": state.destination_bucket}
    statement = json.loads(lam.get_policy(FunctionName="day38-image_pixelator")["Policy"])["Statement"][0]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert state.source_bucket in json.dumps(statement["Condition"])
    triggers = moto_workshop.client("s3").get_bucket_notification_configuration(Bucket=state.source_bucket)
    [trigger] = triggers["LambdaFunctionConfigurations"]
    assert trigger["LambdaFunctionArn"] == config["FunctionArn"]
    assert trigger["Events"] == ["s3:ObjectCreated:*"]
    # never on the destination bucket
    assert "LambdaFunctionConfigurations" not in moto_workshop.client("s3").get_bucket_notification_configuration(
        Bucket=state.destination_bucket
    )


def test_setup_twice_changes_nothing(moto_workshop, kit_log):
    steps.setup(moto_workshop)
    lam = moto_workshop.client("lambda")
    before = lam.get_function(FunctionName="day38-image_pixelator")["Configuration"]
    state_before = state_path().read_text()
    kit_log.clear()
    steps.setup(moto_workshop)
    after = lam.get_function(FunctionName="day38-image_pixelator")["Configuration"]
    assert after["CodeSha256"] == before["CodeSha256"]
    assert after["LastModified"] == before["LastModified"]
    assert state_path().read_text() == state_before
    assert kit_log.records
    assert not [r for r in kit_log.records if r.getMessage().lstrip().startswith(("created", "wrote", "set ", "updated"))]
    assert len(kit_inventory(moto_workshop)["buckets"]) == 2


def test_cleanup_leaves_nothing_and_can_run_twice(moto_workshop):
    steps.setup(moto_workshop)
    moto_workshop.client("s3").put_object(Bucket=moto_workshop.state.destination_bucket, Key="x.jpg", Body=b"x")
    steps.cleanup(moto_workshop)
    assert kit_inventory(moto_workshop) == {"buckets": [], "functions": [], "roles": [], "log groups": []}
    assert not state_path().exists()
    assert steps.cleanup(moto_workshop) == []


def test_cleanup_empties_versioned_buckets(moto_workshop):
    steps.create_buckets(moto_workshop)
    s3 = moto_workshop.client("s3")
    bucket = moto_workshop.state.source_bucket
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for body in (b"1", b"2"):
        s3.put_object(Bucket=bucket, Key="same.jpg", Body=body)
    s3.delete_object(Bucket=bucket, Key="same.jpg")  # leaves a delete marker
    steps.cleanup(moto_workshop)
    assert kit_inventory(moto_workshop)["buckets"] == []


@pytest.mark.parametrize("done_steps", [1, 2, 3])
def test_cleanup_after_a_half_finished_setup(moto_workshop, done_steps):
    for step in [steps.create_buckets, steps.create_role, steps.deploy_function][:done_steps]:
        step(moto_workshop)
    steps.cleanup(moto_workshop)
    assert kit_inventory(moto_workshop) == {"buckets": [], "functions": [], "roles": [], "log groups": []}


def test_steps_out_of_order_say_what_to_run_first(moto_workshop):
    with pytest.raises(WorkshopError, match="step 1"):
        steps.deploy_function(moto_workshop)
    steps.create_buckets(moto_workshop)
    with pytest.raises(WorkshopError, match="step 2"):
        steps.deploy_function(moto_workshop)
    steps.create_role(moto_workshop)
    with pytest.raises(WorkshopError, match="step 3"):
        steps.configure_function(moto_workshop)


def test_a_destination_equal_to_the_source_is_refused(moto_workshop):
    steps.setup(moto_workshop)
    moto_workshop.state.destination_bucket = moto_workshop.state.source_bucket
    with pytest.raises(WorkshopError, match="trigger itself forever"):
        steps.configure_function(moto_workshop)


def test_a_run_set_up_in_another_account_is_not_mixed_up(moto_workshop, monkeypatch):
    steps.create_buckets(moto_workshop)
    moto_workshop.state.account_id = "111122223333"  # as if set up with another profile
    for step in (steps.create_role, steps.deploy_function, steps.configure_function, steps.cleanup):
        with pytest.raises(WorkshopError, match="account 111122223333"):
            step(moto_workshop)
    assert len(steps.inventory(moto_workshop)["buckets"]) == 2  # the cleanup touched nothing


def test_deploying_another_architecture_replaces_code_and_architecture_together(moto_workshop, kit_log):
    steps.setup(moto_workshop)
    sent: list[dict] = []
    moto_workshop.session.events.register(
        "before-parameter-build.lambda.UpdateFunctionCode", lambda params, **_: sent.append(dict(params))
    )
    moto_workshop._clients.clear()
    steps.deploy_function(moto_workshop, "arm64")
    [update] = sent
    assert update["Architectures"] == ["arm64"]
    # the arm64 package (aarch64 Pillow), never arm64 Pillow in an x86_64 function
    from pixelkit.tutorial.package import RUNTIME, build_package

    assert update["ZipFile"] == build_package(RUNTIME, "arm64").read_bytes()
    assert "architecture x86_64 -> arm64" in kit_log.text


def late_outputs(ws, bucket: str, times: int) -> list[str]:
    """An invocation still running: after each of the first ``times`` emptyings, one more output lands."""
    import boto3

    writer = boto3.client("s3", region_name=ws.target.region)  # the function's own client, not the kit's
    written: list[str] = []

    def write_one(model, **_):
        if len(written) < times:
            written.append(f"pixelated-8x8-late-{len(written)}.jpg")
            writer.put_object(Bucket=bucket, Key=written[-1], Body=b"x")

    ws.session.events.register("after-call.s3.DeleteObjects", write_one)
    ws._clients.clear()
    return written


def test_cleanup_empties_a_bucket_again_when_a_late_output_lands(moto_workshop, kit_log):
    steps.create_buckets(moto_workshop)
    bucket = moto_workshop.state.destination_bucket
    moto_workshop.client("s3").put_object(Bucket=bucket, Key="pixelated-8x8-cat.jpg", Body=b"x")
    written = late_outputs(moto_workshop, bucket, times=2)
    steps.cleanup(moto_workshop)
    assert len(written) == 2
    assert kit_inventory(moto_workshop)["buckets"] == []
    assert "emptying it again (attempt 3 of 3)" in kit_log.text


def test_a_bucket_that_keeps_filling_ends_the_cleanup_after_three_rounds(moto_workshop):
    from botocore.exceptions import ClientError

    from pixelkit.tutorial.steps import step6_cleanup

    steps.create_buckets(moto_workshop)
    bucket = moto_workshop.state.destination_bucket
    moto_workshop.client("s3").put_object(Bucket=bucket, Key="pixelated-8x8-cat.jpg", Body=b"x")
    written = late_outputs(moto_workshop, bucket, times=100)
    with pytest.raises(ClientError, match="BucketNotEmpty"):
        step6_cleanup.delete_bucket(moto_workshop.client("s3"), bucket)
    assert len(written) == step6_cleanup.DELETE_ATTEMPTS == 3


# The package's shape ------------------------------------------------------------------------------

from pathlib import Path  # noqa: E402

from pixelkit.context.paths import KIT_ROOT  # noqa: E402

# Low to high: a module may import its own layer and those below it. scripts/ is pixelkit.tutorial.steps.
LAYERS = ["aws", "context", "tutorial", "teaching", "commands"]
# The emulator is AWS's side: it may use the kit's context (paths, errors) and nothing else of the kit.
EMULATOR_MAY_USE = {"emulator", "context"}
# Known and owned elsewhere: the emulator reads a function's resource policy with the kit's reader.
KNOWN_EXCEPTIONS = {("emulator/iam_enforcement.py", "pixelkit.aws.functions")}


def kit_modules():
    """(where, layer, syntax tree) of every module of the package, scripts/ included (as the tutorial's steps)."""
    import ast

    for path in sorted((KIT_ROOT / "src" / "pixelkit").rglob("*.py")):
        where = path.relative_to(KIT_ROOT / "src" / "pixelkit").as_posix()
        yield where, where.split("/")[0] if "/" in where else None, ast.parse(path.read_text())
    for path in sorted((KIT_ROOT / "scripts").glob("*.py")):
        yield f"scripts/{path.name}", "tutorial", ast.parse(path.read_text())


def imports_of(tree):
    """The pixelkit modules a module imports (a script's ``if __name__ == "__main__":`` block is its command line)."""
    import ast

    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
            node.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pixelkit"):
            yield node.module, [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            yield from ((alias.name, []) for alias in node.names if alias.name.startswith("pixelkit"))


def test_no_module_imports_a_layer_above_its_own():
    upward = []
    for where, layer, tree in kit_modules():
        for module, _ in imports_of(tree):
            target = module.split(".")[1] if "." in module else None
            if layer == "emulator":
                if target not in EMULATOR_MAY_USE and (where, ".".join(module.split(".")[:3])) not in KNOWN_EXCEPTIONS:
                    upward.append(f"{where} imports {module}")
            elif layer in LAYERS and target in LAYERS and LAYERS.index(target) > LAYERS.index(layer):
                upward.append(f"{where} imports {module}")
    assert not upward


def test_no_private_name_is_used_across_modules():
    """Outside the emulator (whose own modules its maintainers are reorganising: iam_enforcement still reads
    iam_evaluation's _listed/_matches/_as_dict, which now has public names for the first two)."""
    import ast

    used = []
    for where, layer, tree in kit_modules():
        if layer == "emulator":
            continue
        imported = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pixelkit"):
                used += [f"{where}: {node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
                imported.update({a.asname or a.name: f"{node.module}.{a.name}" for a in node.names})
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in imported
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                used.append(f"{where}: {imported[node.value.id]}.{node.attr}")
    assert not used


def test_pyproject_installs_every_folder_of_the_package_and_scripts_as_the_steps():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11 and newer

    config = tomllib.loads((KIT_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {".".join(p.parent.relative_to(KIT_ROOT / "src").parts)
               for p in (KIT_ROOT / "src" / "pixelkit").rglob("__init__.py")}
    assert set(config["packages"]) == folders | {"pixelkit.tutorial.steps"}
    assert config["package-dir"]["pixelkit.tutorial.steps"] == "scripts"
    from pixelkit.tutorial.steps import step1_create_buckets

    assert Path(step1_create_buckets.__file__).resolve() == KIT_ROOT / "scripts" / "step1_create_buckets.py"
