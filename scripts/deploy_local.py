"""`just deploy --local` / `just destroy --local`: a rehearsal of the real
deploy, offline, on moto's CloudFormation (the local backend's moto).

    deploy_local.py deploy STACK ZIPS    the same steps as scripts/aws.sh deploy
    deploy_local.py check STACK          the stack's resources against the template
    deploy_local.py destroy STACK        empty the pages bucket, delete the stack

The steps of `deploy`, as on AWS:
1. the build: each function's `bootstrap.zip`, from ZIPS/<binary>/ (built by
   `just package`, the same cargo-lambda build `sam build` runs);
2. the SAM transform into plain CloudFormation (aws-sam-translator, the
   library CloudFormation runs), after uploading the zips as `sam package`
   does and pointing each function's code at them;
3. the stack, created (or updated) on moto's CloudFormation;
4. the pages, uploaded into the stack's bucket with their config.json;
5. the outputs, read from the stack into target/stack-outputs.local.json.

It is a rehearsal of the script and the template, not of AWS. moto models
most of the stack's resource types, and the table printed at the end says
which it does not (they are left out, and references to them become
"skipped-<id>" text). moto checks far less than CloudFormation: no IAM
evaluation, no quotas, no real CloudFront; the functions are stored, not run.
"""
import copy
import json
import os
import pathlib
import re
import sys
import time
import warnings

import boto3
from moto.cloudformation.parsing import get_model_map
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import pages  # noqa: E402
import sam_transform  # noqa: E402

ENDPOINT = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
# The rehearsal builds what `just package` builds by default.
ARCHITECTURE = "x86_64"


def client(service):
    return boto3.client(service, endpoint_url=ENDPOINT, region_name="us-east-1")


def source_template():
    return yaml_parse((ROOT / "template.yaml").read_text(encoding="utf-8"))


def binaries(template):
    """Each function's logical id → the workspace binary it deploys."""
    return {
        logical: resource["Metadata"]["BuildProperties"]["Binary"]
        for logical, resource in template["Resources"].items()
        if resource.get("Type") == "AWS::Serverless::Function"
    }


def transformed(stack, zips):
    """The plain CloudFormation template CloudFormation would run, with each
    function's code uploaded to the stack's artifact bucket first."""
    template = source_template()
    built = binaries(template)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    plain = transform(sam_transform.packaged(copy.deepcopy(template)), {}, sam_transform.NoManagedPolicies())
    s3 = client("s3")
    bucket = f"{stack}-artifacts"
    if bucket not in [b["Name"] for b in s3.list_buckets().get("Buckets", [])]:
        s3.create_bucket(Bucket=bucket)
    for logical, binary in built.items():
        zip_file = pathlib.Path(zips) / binary / "bootstrap.zip"
        if not zip_file.is_file():
            sys.exit(f"pitlane: {zip_file} is missing: `just package` builds it")
        key = f"{binary}.zip"
        s3.put_object(Bucket=bucket, Key=key, Body=zip_file.read_bytes())
        plain["Resources"][logical]["Properties"]["Code"] = {"S3Bucket": bucket, "S3Key": key}
        print(f"  code: {binary} → s3://{bucket}/{key}")
    return plain


def without(template, skipped):
    """`template` without the resources moto does not model; each reference
    to one becomes the text `skipped-<id>`."""

    def replace(value):
        if isinstance(value, dict):
            if set(value) == {"Ref"} and value["Ref"] in skipped:
                return f"skipped-{value['Ref']}"
            if set(value) == {"Fn::GetAtt"}:
                target = value["Fn::GetAtt"]
                target = target.split(".") if isinstance(target, str) else target
                if target[0] in skipped:
                    return f"skipped-{target[0]}.{target[1]}"
            if set(value) == {"Fn::Sub"}:
                sub = value["Fn::Sub"]
                text, names = (sub, None) if isinstance(sub, str) else (sub[0], sub[1])
                for logical in skipped:
                    text = re.sub(r"\$\{" + re.escape(logical) + r"(\.[A-Za-z.]+)?\}", f"skipped-{logical}", text)
                return {"Fn::Sub": text if names is None else [text, replace(names)]}
            return {key: replace(item) for key, item in value.items()}
        if isinstance(value, list):
            return [replace(item) for item in value]
        return value

    result = copy.deepcopy(template)
    for logical in skipped:
        del result["Resources"][logical]
    for resource in result["Resources"].values():
        depends = resource.get("DependsOn")
        if isinstance(depends, list):
            resource["DependsOn"] = [d for d in depends if d not in skipped]
        elif depends in skipped:
            del resource["DependsOn"]
    return replace(result)


def wait(cfn, stack, verb):
    while True:
        described = cfn.describe_stacks(StackName=stack)["Stacks"][0]
        if not described["StackStatus"].endswith("IN_PROGRESS"):
            break
        time.sleep(0.5)
    status = described["StackStatus"]
    if status not in (f"{verb}_COMPLETE",):
        reason = described.get("StackStatusReason", "")
        sys.exit(f"pitlane: the stack {stack} is {status}: {reason}")
    return described


def stack_exists(cfn, stack):
    try:
        status = cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
    except Exception:
        return False
    return status != "DELETE_COMPLETE"


def deploy(stack, zips):
    print(f"── the SAM transform, with the code of {len(binaries(source_template()))} functions uploaded")
    template = transformed(stack, zips)
    modeled = get_model_map()
    skipped = sorted(k for k, r in template["Resources"].items() if r["Type"] not in modeled)
    body = json.dumps(without(template, skipped))
    cfn = client("cloudformation")
    parameters = [{"ParameterKey": "Architecture", "ParameterValue": ARCHITECTURE}]
    verb = "UPDATE" if stack_exists(cfn, stack) else "CREATE"
    print(f"── the stack {stack} on moto's CloudFormation ({verb.lower()})")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        call = cfn.update_stack if verb == "UPDATE" else cfn.create_stack
        call(StackName=stack, TemplateBody=body, Parameters=parameters, Capabilities=["CAPABILITY_IAM"])
    described = wait(cfn, stack, verb)
    created = {
        r["LogicalResourceId"]: r
        for r in cfn.list_stack_resources(StackName=stack)["StackResourceSummaries"]
    }
    print(f"\n{'resource':34} {'type':42} in the rehearsal")
    for logical, resource in sorted(template["Resources"].items()):
        if logical in skipped:
            state = "SKIPPED: moto does not model it"
        elif logical in created:
            state = created[logical]["ResourceStatus"]
        else:
            state = "MISSING"
        print(f"{logical:34} {resource['Type']:42} {state}")
    print(f"\n{len(template['Resources']) - len(skipped)} resources created, {len(skipped)} skipped.")

    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    out_file = ROOT / "target" / "stack-outputs.local.json"
    out_file.parent.mkdir(exist_ok=True)
    out_file.write_text(json.dumps(outputs, indent=2) + "\n")
    print(f"── outputs: {out_file.relative_to(ROOT)}")
    print("── the pages")
    os.environ["AWS_ENDPOINT_URL"] = ENDPOINT
    # moto models no CloudFront distribution: nothing to refresh.
    pages.upload(stack, refresh=False)
    missing = [k for k in template["Resources"] if k not in skipped and k not in created]
    if missing:
        sys.exit(f"pitlane: not created: {', '.join(missing)}")


def check(stack):
    """The resources moto created, read back through each service's API and
    compared with the template's settings. Exit status 1 on a difference."""
    resources = source_template()["Resources"]
    problems = []
    unmodeled = []

    def expect(what, got, want):
        if got != want:
            problems.append(f"{what}: {got!r}, the template says {want!r}")

    def named(value):
        """A `!Sub ${AWS::StackName}-…` name, for this stack."""
        return value["Fn::Sub"].replace("${AWS::StackName}", stack)

    def target(value):
        """The logical id a `!Ref` or `!GetAtt` names."""
        return value["Ref"] if "Ref" in value else value["Fn::GetAtt"][0]

    def of_type(kind):
        return [(logical, r["Properties"]) for logical, r in resources.items() if r["Type"] == kind]

    stream = of_type("AWS::Kinesis::Stream")[0][1]
    kinesis = client("kinesis").describe_stream_summary(StreamName=named(stream["Name"]))
    summary = kinesis["StreamDescriptionSummary"]
    expect("stream retention (hours)", summary.get("RetentionPeriodHours"), stream["RetentionPeriodHours"])
    # moto 5.2.5's CloudFormation creates every stream provisioned and
    # unencrypted, whatever the template says: nothing to compare.
    unmodeled.append("the stream's StreamModeDetails and StreamEncryption (moto's CloudFormation ignores "
                     "them; crates/deploy-checks/tests/template.rs checks the template)")

    dynamodb = client("dynamodb")
    for _, props in of_type("AWS::DynamoDB::Table"):
        name = named(props["TableName"])
        table = dynamodb.describe_table(TableName=name)["Table"]
        expect(f"{name} keys", sorted((k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]),
               sorted((k["AttributeName"], k["KeyType"]) for k in props["KeySchema"]))
        expect(f"{name} billing", table.get("BillingModeSummary", {}).get("BillingMode"), props.get("BillingMode"))

    sqs = client("sqs")
    for _, props in of_type("AWS::SQS::Queue"):
        url = sqs.get_queue_url(QueueName=named(props["QueueName"]))["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        expect(f"{named(props['QueueName'])} retention (s)", attributes.get("MessageRetentionPeriod"),
               str(props["MessageRetentionPeriod"]))

    lam, iam = client("lambda"), client("iam")
    function_names = {}
    for logical, props in of_type("AWS::Serverless::Function"):
        name = function_names[logical] = named(props["FunctionName"])
        try:
            function = lam.get_function(FunctionName=name)["Configuration"]
        except Exception:
            problems.append(f"no function {name}")
            continue
        expect(f"{name} runtime", function["Runtime"], "provided.al2023")
        expect(f"{name} handler", function["Handler"], "bootstrap")
        expect(f"{name} architecture", function.get("Architectures"), [ARCHITECTURE])
        expect(f"{name} timeout", function["Timeout"], props.get("Timeout", 3))
        variables = function.get("Environment", {}).get("Variables", {})
        expect(f"{name} environment", sorted(variables), sorted(props.get("Environment", {}).get("Variables", {})))
        role = function["Role"].rsplit("/", 1)[-1]
        policies = iam.list_role_policies(RoleName=role)["PolicyNames"]
        want = resources[target(props["Role"])]["Properties"].get("Policies", [])
        expect(f"{name}'s role's policies", sorted(policies), sorted(p["PolicyName"] for p in want))

    mappings = lam.list_event_source_mappings()["EventSourceMappings"]
    for logical, props in of_type("AWS::Lambda::EventSourceMapping"):
        name = function_names[target(props["FunctionName"])]
        mapping = next((m for m in mappings if m["FunctionArn"].endswith(f":{name}")), None)
        if mapping is None:
            problems.append(f"{logical}: no event-source mapping for {name}")
            continue
        expect(f"{logical} batch size", mapping.get("BatchSize"), props.get("BatchSize"))
        expect(f"{logical} starting position", mapping.get("StartingPosition"), props.get("StartingPosition"))

    s3 = client("s3")
    buckets = [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith(f"{stack}-pagesbucket-")]
    if not buckets:
        problems.append("no pages bucket")
    else:
        try:
            block = s3.get_public_access_block(Bucket=buckets[0])["PublicAccessBlockConfiguration"]
            expect("pages bucket: all public access blocked", all(block.values()), True)
        except s3.exceptions.ClientError as error:
            if "NoSuchPublicAccessBlockConfiguration" not in str(error):
                raise
            unmodeled.append("the pages bucket's PublicAccessBlockConfiguration (moto's CloudFormation "
                             "ignores it; crates/deploy-checks/tests/template.rs checks the template)")
        keys = {o["Key"] for o in s3.list_objects_v2(Bucket=buckets[0]).get("Contents", [])}
        expect("pages uploaded", {"config.json", "dashboard.html", "vote.html"} <= keys, True)

    for setting in unmodeled:
        print(f"check: not checked here: {setting}")
    for problem in problems:
        print(f"check: {problem}")
    verdict = "the stack has the template's settings" if not problems else f"{len(problems)} differences"
    print(f"check: {verdict}")
    sys.exit(1 if problems else 0)


def destroy(stack):
    cfn = client("cloudformation")
    if not stack_exists(cfn, stack):
        print(f"pitlane: there is no local stack {stack}")
        return
    os.environ["AWS_ENDPOINT_URL"] = ENDPOINT
    pages.empty(stack)
    cfn.delete_stack(StackName=stack)
    while stack_exists(cfn, stack):  # a deleted stack is no longer found by name
        time.sleep(0.5)
    print(f"pitlane: the local stack {stack} is deleted, and everything it created")


if __name__ == "__main__":
    if not ENDPOINT:
        sys.exit("pitlane: the rehearsal runs on the local backend: `just deploy --local`")
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "deploy" and len(sys.argv) == 4:
        deploy(sys.argv[2], sys.argv[3])
    elif command in ("check", "destroy") and len(sys.argv) == 3:
        {"check": check, "destroy": destroy}[command](sys.argv[2])
    else:
        sys.exit("usage: deploy_local.py deploy STACK ZIPS | check STACK | destroy STACK")
