"""The vote pages on AWS, for scripts/aws.sh (run with the SAM venv's Python,
which has boto3).

    pages.py upload STACK   the pages of web/, the grid and a config.json into the
                            stack's pages bucket, then a CloudFront invalidation
    pages.py empty STACK    deletes every object of the pages bucket, so that
                            CloudFormation can delete the bucket with the stack

The stack's outputs name the bucket and the distribution; nothing is copied
by hand. config.json says "apiBaseUrl": "": the pages call /vote and
/results on their own origin, which CloudFront forwards to the API.
"""
import json
import mimetypes
import pathlib
import sys
import time

import boto3

ROOT = pathlib.Path(__file__).resolve().parent.parent


def outputs(stack):
    described = boto3.client("cloudformation").describe_stacks(StackName=stack)
    return {o["OutputKey"]: o["OutputValue"] for o in described["Stacks"][0].get("Outputs", [])}


def pages():
    """(key, bytes, content type, cache control) of every file the site needs."""
    files = sorted(ROOT.glob("web/*.html")) + sorted(ROOT.glob("web/*.js")) + sorted(ROOT.glob("web/*.css"))
    files.append(ROOT / "data" / "grid.json")
    for file in files:
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        yield file.name, file.read_bytes(), kind, "public, max-age=300"
    config = json.dumps({"apiBaseUrl": ""}, indent=2) + "\n"
    yield "config.json", config.encode(), "application/json", "no-cache"


def upload(stack, refresh=True):
    """Uploads the pages; with `refresh`, CloudFront is told to drop its
    copies. The offline rehearsal (deploy_local.py) passes refresh=False:
    moto models no distribution to refresh."""
    out = outputs(stack)
    bucket, distribution = out["PagesBucketName"], out["DistributionId"]
    s3 = boto3.client("s3")
    for key, body, kind, cache in pages():
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=kind, CacheControl=cache)
        print(f"  s3://{bucket}/{key}")
    if not refresh:
        print(f"pages: uploaded; no distribution refreshed ({distribution})")
        return
    # CloudFront keeps pages up to a day: the new ones are served at once.
    boto3.client("cloudfront").create_invalidation(
        DistributionId=distribution,
        InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": str(time.time())},
    )
    print(f"pages: {out['PagesUrl']}/vote.html and {out['PagesUrl']}/dashboard.html")


def empty(stack):
    try:
        bucket = outputs(stack)["PagesBucketName"]
    except Exception as error:  # no stack, or a stack from before the pages
        print(f"pages: no pages bucket to empty ({error})")
        return
    s3 = boto3.client("s3")
    deleted = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
            deleted += len(keys)
    print(f"pages: emptied s3://{bucket} ({deleted} objects)")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("upload", "empty"):
        sys.exit("usage: pages.py upload|empty STACK")
    {"upload": upload, "empty": empty}[sys.argv[1]](sys.argv[2])
