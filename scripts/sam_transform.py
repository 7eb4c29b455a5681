"""The SAM transform, offline: what CloudFormation does to template.yaml at deploy.

cfn-lint checks `template.yaml` as written, but CloudFormation first runs the
`AWS::Serverless-2016-10-31` transform over it, and that transform refuses
templates cfn-lint accepts (an `Authorizer: NONE` without a DefaultAuthorizer
was one). This runs the same library CloudFormation runs, aws-sam-translator,
and writes the plain CloudFormation it produces, so that `just lint` can lint
that too.

    python scripts/sam_transform.py template.yaml OUT.json

Exit status 1, with the transform's own messages, when it refuses the template.
"""

import json
import os
import sys

from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

# What `sam package` puts in each function's CodeUri before the transform runs:
# the transform takes only an S3 location (the bucket and key are never read
# here, nothing is uploaded).
PACKAGED_CODE = "s3://pitlane-lint-placeholder/function.zip"


class NoManagedPolicies:
    """The transform asks IAM for the ARNs of AWS managed policies named in a
    function's `Policies`. Pitlane names none (each function has a role of its
    own), so there is nothing to look up and no AWS account is needed."""

    def load(self):
        return {}


def packaged(template):
    """The template as `sam package` hands it to CloudFormation."""
    function = template.get("Globals", {}).get("Function", {})
    if "CodeUri" in function:
        function["CodeUri"] = PACKAGED_CODE
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            properties = resource.setdefault("Properties", {})
            if "CodeUri" in properties or "CodeUri" not in function:
                properties["CodeUri"] = PACKAGED_CODE
    return template


def main(source, out):
    # The transform fills in AWS::Region where it must; any region does for a
    # lint (the deploy's own region is the one CloudFormation uses).
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    with open(source, encoding="utf-8") as file:
        template = packaged(yaml_parse(file.read()))
    try:
        transformed = transform(template, {}, NoManagedPolicies())
    except InvalidDocumentException as refused:
        print(f"{source}: the SAM transform refuses it (as CloudFormation would at deploy):", file=sys.stderr)
        for cause in refused.causes:
            print(f"  - {cause.message}", file=sys.stderr)
        return 1
    with open(out, "w", encoding="utf-8") as file:
        json.dump(transformed, file, indent=1, sort_keys=True)
    print(f"{source}: the SAM transform accepts it ({len(transformed['Resources'])} resources)")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
