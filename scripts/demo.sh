#!/usr/bin/env bash
# `just demo`: the pipeline so far, on the local backend, with the reference
# solutions of days 01–03. Run through `scripts/backend.sh run`, which points
# the AWS SDK at the local backend through AWS_ENDPOINT_URL_* variables.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

stream="${PITLANE_DEMO_STREAM:-pitlane-demo}"
readings="${PITLANE_DEMO_READINGS:-120}"
output=".pitlane/demo-tail.jsonl"

step() { printf '\n\033[1m▶ %s\033[0m\n' "$*"; }
run() { cargo run --quiet -p "$1" --bin "$2" -- "${@:3}"; }

step "Building the tools (the first time takes a few minutes: the AWS SDK is big)"
cargo build --quiet -p day01-create-stream-solution -p day02-put-records-solution -p day03-read-shard-solution

step "Day 01 — create the stream '$stream' with 2 shards and wait until it is ACTIVE"
run day01-create-stream-solution create-stream-solution --name "$stream" --shards 2

step "Day 02 — send $readings trackside sensor readings with batched PutRecords"
run day02-put-records-solution produce-solution --stream "$stream" --count "$readings"

step "Day 03 — read every shard from TRIM_HORIZON until caught up"
run day03-read-shard-solution tail-solution --stream "$stream" --from trim-horizon > "$output"
head -n 5 "$output"
echo "... ($(wc -l < "$output") records in all, saved to $output)"

step "Done. Endpoints used (no AWS account involved):"
echo "  Kinesis  $AWS_ENDPOINT_URL_KINESIS"
echo "  DynamoDB $AWS_ENDPOINT_URL_DYNAMODB"
echo "Try it yourself: 'just aws-up', then e.g."
echo "  eval \"\$(just aws-env | sed 's/^/export /')\""
echo "  cargo run -p day03-read-shard-solution -- --stream $stream --follow"
