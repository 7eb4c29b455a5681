"""A Python Lambda consumer under the same Runtime API stand-in as the Rust
one: import boto3 (as a Python function would), create a DynamoDB client,
fetch one invocation, record the vote in one transaction, answer.
"""
import base64
import json
import os
import urllib.request

import boto3

api = f"http://{os.environ['AWS_LAMBDA_RUNTIME_API']}/2018-06-01/runtime/invocation"
client = boto3.client("dynamodb")
with urllib.request.urlopen(f"{api}/next") as response:
    request_id = response.headers["Lambda-Runtime-Aws-Request-Id"]
    event = json.loads(response.read())
for record in event["Records"]:
    vote = json.loads(base64.b64decode(record["kinesis"]["data"]))
    try:
        client.transact_write_items(TransactItems=[
            {"Put": {"TableName": os.environ["VOTES_TABLE"],
                     "Item": {"user": {"S": vote["user"]}, "vote": {"S": vote["vote"]}},
                     "ConditionExpression": "attribute_not_exists(#u)",
                     "ExpressionAttributeNames": {"#u": "user"}}},
            {"Update": {"TableName": os.environ["RESULTS_TABLE"], "Key": {"driver": {"S": vote["vote"]}},
                        "UpdateExpression": "ADD votes :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        ])
    except client.exceptions.TransactionCanceledException:
        pass
answer = json.dumps({"batchItemFailures": []}).encode()
urllib.request.urlopen(urllib.request.Request(f"{api}/{request_id}/response", data=answer, method="POST")).read()
