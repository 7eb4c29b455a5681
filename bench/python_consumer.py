"""The sequential design of the material this course grew from, as a Python
Lambda handler under the same Runtime API stand-in as the Rust consumers:
boto3, one TransactWriteItems per vote (accept the fan's vote, count it),
one after another, invocation after invocation.
"""
import base64
import json
import os
import urllib.request

import boto3

api = f"http://{os.environ['AWS_LAMBDA_RUNTIME_API']}/2018-06-01/runtime/invocation"
client = boto3.client("dynamodb")
votes_table = os.environ["VOTES_TABLE"]
results_table = os.environ["RESULTS_TABLE"]


def handle(event):
    for record in event["Records"]:
        vote = json.loads(base64.b64decode(record["kinesis"]["data"]))
        try:
            client.transact_write_items(TransactItems=[
                {"Put": {"TableName": votes_table,
                         "Item": {"user": {"S": vote["user"]}, "vote": {"S": vote["vote"]},
                                  "votedAt": {"S": vote["votedAt"]},
                                  "sequenceNumber": {"S": record["kinesis"]["sequenceNumber"]}},
                         "ConditionExpression": "attribute_not_exists(#u)",
                         "ExpressionAttributeNames": {"#u": "user"}}},
                {"Update": {"TableName": results_table, "Key": {"driver": {"S": vote["vote"]}},
                            "UpdateExpression": "ADD votes :one",
                            "ExpressionAttributeValues": {":one": {"N": "1"}}}},
            ])
        except client.exceptions.TransactionCanceledException:
            pass
    return {"batchItemFailures": []}


while True:
    with urllib.request.urlopen(f"{api}/next") as response:
        request_id = response.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(response.read())
    answer = json.dumps(handle(event)).encode()
    urllib.request.urlopen(urllib.request.Request(f"{api}/{request_id}/response", data=answer, method="POST")).read()
