#!/usr/bin/env bash
# The local AWS backend: kinesis-local (Kinesis) and moto (DynamoDB) on loopback.
#
#   backend.sh up       start both (if not running) and wait until they answer
#   backend.sh down     stop them
#   backend.sh reset    forget every stream and table (restart Kinesis, reset moto)
#   backend.sh status   say whether they run, and where
#   backend.sh env      print the environment that points the AWS SDK at them
#   backend.sh run CMD  run CMD against the backend: a running one is reused,
#                       otherwise one is started for CMD and stopped after it
#
# The SDK is pointed at the backend only through the standard variables
# AWS_ENDPOINT_URL_KINESIS and AWS_ENDPOINT_URL_DYNAMODB: the code never names
# an endpoint, so the same binaries run on AWS when those are unset.
#
# Ports: PITLANE_KINESIS_PORT (default 28480, and the two above it: the SDK
# talks to scripts/kinesis_limits.py there, in front of kinesis-local) and
# PITLANE_DYNAMODB_PORT (default 28470). The defaults lie
# below every system's ephemeral range (Linux 32768-60999, macOS and Windows
# 49152-65535): in it, the tests' own connections to the backend sometimes
# hold the port the next start wants ("EADDRINUSE"). State, pids and logs live
# in .pitlane/ (ignored by git).
#
# Throughput: both fronts throttle as AWS does (a shard's 1 MiB or 1,000
# records a second and 5 reads a second, a DynamoDB partition's 1,000 write
# and 3,000 read units a second, transactions that conflict). Every limit is
# on. PITLANE_THROTTLE=off, when the backend starts, turns throttling off in
# both, for benchmarks only: they then say so loudly in their logs, and so
# does this script. PITLANE_TRANSACTION_HOLD_MS (default 3) is how long a
# DynamoDB transaction holds its items (see scripts/moto_server.py).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="$root/.pitlane"
logs="$state/logs"
tools="$root/.tools"
kinesis_port="${PITLANE_KINESIS_PORT:-28480}"
dynamodb_port="${PITLANE_DYNAMODB_PORT:-28470}"
kinesis_url="http://127.0.0.1:$kinesis_port"
throttle="${PITLANE_THROTTLE:-on}"
# Backends on other ports run side by side (two checkouts, a test of the
# course itself): each keeps its own pid and log files, so that stopping one
# never stops another.
suffix=""
[[ "$kinesis_port-$dynamodb_port" == "28480-28470" ]] || suffix="-$kinesis_port-$dynamodb_port"
dynamodb_url="http://127.0.0.1:$dynamodb_port"

say() { echo "pitlane: $*" >&2; }
fail() { say "$*"; exit 1; }
source "$(dirname "${BASH_SOURCE[0]}")/lang.sh"

print_env() {
  cat <<ENV
AWS_ENDPOINT_URL_KINESIS=$kinesis_url
AWS_ENDPOINT_URL_DYNAMODB=$dynamodb_url
AWS_ENDPOINT_URL_SQS=$dynamodb_url
AWS_ENDPOINT_URL_S3=$dynamodb_url
AWS_REGION=us-east-1
AWS_DEFAULT_REGION=us-east-1
AWS_ACCESS_KEY_ID=test
AWS_SECRET_ACCESS_KEY=test
AWS_EC2_METADATA_DISABLED=true
ENV
}

# answers URL [TARGET]: true when an HTTP server answers at URL (any status).
answers() {
  "$tools/venv/bin/python" - "$@" <<'PY' 2>/dev/null
import sys, urllib.request, urllib.error
url = sys.argv[1]
request = urllib.request.Request(url, method="GET")
if len(sys.argv) > 2:  # a Kinesis API call: any HTTP answer means "ready"
    request = urllib.request.Request(url, data=b"{}", method="POST", headers={
        "X-Amz-Target": sys.argv[2], "Content-Type": "application/x-amz-json-1.1"})
try:
    urllib.request.urlopen(request, timeout=1)
except urllib.error.HTTPError:
    pass
PY
}
kinesis_answers() { answers "$kinesis_url" Kinesis_20131202.ListStreams; }
kinesis_upstream_answers() { answers "http://127.0.0.1:$((kinesis_port + 1))" Kinesis_20131202.ListStreams; }
dynamodb_answers() { answers "$dynamodb_url/moto-api/"; }

pid_file() { echo "$state/$1$suffix.pid"; }
log_file() { echo "$logs/$1$suffix.log"; }
alive() { [[ -f "$(pid_file "$1")" ]] && kill -0 "$(cat "$(pid_file "$1")")" 2>/dev/null; }
running() { alive kinesis && alive kinesis-limits && alive dynamodb && kinesis_answers && dynamodb_answers; }

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_ready NAME CHECK: poll CHECK every 100 ms for up to 60 s.
wait_ready() {
  local name="$1" check="$2"
  for _ in $(seq 1 600); do
    "$check" && return 0
    alive "$name" || { tail -n 20 "$(log_file "$name")" >&2 || true; fail "$(tr_ "$name stopped while starting (log: ${root}/.pitlane/logs/$name$suffix.log)" "$name se detuvo al arrancar (log: ${root}/.pitlane/logs/$name$suffix.log)")"; }
    sleep 0.1
  done
  fail "$(tr_ "$name did not answer within 60 s (log: ${root}/.pitlane/logs/$name$suffix.log)" "$name no respondió en 60 s (log: ${root}/.pitlane/logs/$name$suffix.log)")"
}

start_kinesis() {
  alive kinesis && alive kinesis-limits && return 0
  stop kinesis; stop kinesis-limits
  # The SDK talks to scripts/kinesis_limits.py on PITLANE_KINESIS_PORT, which
  # refuses what AWS refuses and kinesis-local does not, and passes the rest
  # to kinesis-local on the next port up (its unused TLS listener on the one
  # after that).
  local port
  for port in "$kinesis_port" "$((kinesis_port + 1))" "$((kinesis_port + 2))"; do
    (( port != dynamodb_port )) \
      || fail "$(tr_ "PITLANE_KINESIS_PORT=$kinesis_port takes ports $kinesis_port-$((kinesis_port + 2)), and PITLANE_DYNAMODB_PORT=$dynamodb_port is one of them: choose ports at least 3 apart." "PITLANE_KINESIS_PORT=$kinesis_port ocupa los puertos $kinesis_port-$((kinesis_port + 2)), y PITLANE_DYNAMODB_PORT=$dynamodb_port es uno de ellos: elige puertos separados por al menos 3.")"
    port_taken "$port" && fail "$(tr_ "port $port (the local Kinesis takes PITLANE_KINESIS_PORT=$kinesis_port and the two ports above it) is already taken by another program; choose another PITLANE_KINESIS_PORT." "otro programa ya usa el puerto $port (el Kinesis local ocupa PITLANE_KINESIS_PORT=$kinesis_port y los dos puertos siguientes); elige otro PITLANE_KINESIS_PORT.")"
  done
  local pkg="$tools/node/node_modules/kinesis-local"
  # The account matches moto's, so ARNs look alike across services. Streams
  # take 500 ms to become ACTIVE, as on AWS (day 01 waits for it); the limits
  # are raised because every test creates its own stream.
  (cd "$state" && exec env \
    KINESIS_MOCK_PLAIN_PORT="$((kinesis_port + 1))" KINESIS_MOCK_TLS_PORT="$((kinesis_port + 2))" \
    KINESIS_MOCK_CERT_PATH="$pkg/server.json" AWS_ACCOUNT_ID=123456789012 AWS_REGION=us-east-1 \
    CREATE_STREAM_DURATION=500ms DELETE_STREAM_DURATION=0ms UPDATE_SHARD_COUNT_DURATION=500ms \
    SHARD_LIMIT=100000 ON_DEMAND_STREAM_COUNT_LIMIT=10000 LOG_LEVEL=WARN \
    node "$pkg/main.js" >"$(log_file kinesis)" 2>&1) &
  echo $! > "$(pid_file kinesis)"
  PITLANE_THROTTLE="$throttle" \
    "$tools/venv/bin/python" "$root/scripts/kinesis_limits.py" 127.0.0.1 "$kinesis_port" "$((kinesis_port + 1))" \
    >"$(log_file kinesis-limits)" 2>&1 &
  echo $! > "$(pid_file kinesis-limits)"
}

start_dynamodb() {
  alive dynamodb && return 0
  port_taken "$dynamodb_port" && fail "$(tr_ "port $dynamodb_port is already taken by another program; choose another with PITLANE_DYNAMODB_PORT=<port>." "otro programa ya usa el puerto $dynamodb_port; elige otro con PITLANE_DYNAMODB_PORT=<puerto>.")"
  # moto, one request at a time (see scripts/moto_server.py for why).
  MOTO_PORT="$dynamodb_port" PITLANE_THROTTLE="$throttle" \
    "$tools/venv/bin/python" "$root/scripts/moto_server.py" 127.0.0.1 "$dynamodb_port" \
    >"$(log_file dynamodb)" 2>&1 &
  echo $! > "$(pid_file dynamodb)"
}

up() {
  [[ -x "$tools/venv/bin/python" && -d "$tools/node/node_modules/kinesis-local" ]] \
    || "$root/scripts/setup.sh"
  mkdir -p "$logs"
  if [[ "$throttle" == "off" ]] && ! running; then
    say "############################################################"
    say "PITLANE_THROTTLE=off: the backend that starts now throttles NOTHING."
    say "AWS would throttle this load. Use it for benchmarks only."
    say "############################################################"
  fi
  start_kinesis
  start_dynamodb
  wait_ready kinesis kinesis_upstream_answers
  wait_ready kinesis-limits kinesis_answers
  wait_ready dynamodb dynamodb_answers
  point_editor_here
}

# The editor's pointer, .pitlane/backend.env (testkit reads it when a test
# runs outside the recipes), names this backend: unless it names another one,
# on other ports, that still answers. A backend started on other ports for
# one command (PITLANE_*_PORT set for `just check`) must not take the pointer
# from the one `just aws-up` keeps running, nor remove it when it stops.
point_editor_here() {
  local pointer="$state/backend.env" other
  if [[ -f "$pointer" ]] && [[ "$(cat "$pointer")" != "$(print_env)" ]]; then
    other="$(sed -n 's/^AWS_ENDPOINT_URL_DYNAMODB=//p' "$pointer")"
    if [[ -n "$other" && "$other" != "$dynamodb_url" ]] && answers "$other/moto-api/"; then
      return 0
    fi
  fi
  print_env > "$pointer"
}

stop() {
  local name="$1" pid
  [[ -f "$(pid_file "$name")" ]] || return 0
  pid="$(cat "$(pid_file "$name")")"
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$(pid_file "$name")"
}

down() {
  stop kinesis-limits
  stop kinesis
  stop dynamodb
  # The editor's pointer (testkit reads it) goes only if it points here.
  if [[ -f "$state/backend.env" ]] && [[ "$(cat "$state/backend.env")" == "$(print_env)" ]]; then
    rm -f "$state/backend.env"
  fi
}

case "${1:-}" in
  up)
    up
    say "$(tr_ "local AWS is up: Kinesis $kinesis_url, DynamoDB $dynamodb_url ('just aws-down' stops it)" "el AWS local está en marcha: Kinesis $kinesis_url, DynamoDB $dynamodb_url ('just aws-down' lo detiene)")" ;;
  down)
    down
    say "$(tr_ "local AWS stopped" "el AWS local se detuvo")" ;;
  reset)
    if running; then
      stop kinesis-limits; stop kinesis; mkdir -p "$logs"; start_kinesis
      wait_ready kinesis kinesis_upstream_answers; wait_ready kinesis-limits kinesis_answers
      "$tools/venv/bin/python" -c "import urllib.request; urllib.request.urlopen(urllib.request.Request('$dynamodb_url/moto-api/reset', method='POST'))"
      say "$(tr_ "local AWS reset: no streams, no tables" "el AWS local quedó vacío: sin streams ni tablas")"
    else
      say "$(tr_ "local AWS is not running: nothing to reset" "el AWS local no está en marcha: nada que vaciar")"
    fi ;;
  status)
    if running; then
      say "$(tr_ "running: Kinesis $kinesis_url, DynamoDB $dynamodb_url" "en marcha: Kinesis $kinesis_url, DynamoDB $dynamodb_url")"
    else
      say "$(tr_ "not running ('just aws-up' starts it)" "no está en marcha ('just aws-up' lo arranca)")"
      exit 1
    fi ;;
  env)
    print_env ;;
  run)
    shift
    [[ $# -gt 0 ]] || fail "usage: backend.sh run COMMAND [ARGS...]"
    if ! running; then
      # Started for this command only: stopped on every way out, Ctrl-C included.
      trap down EXIT
      trap 'exit 130' INT
      trap 'exit 143' TERM
      up
    fi
    set -a
    # shellcheck disable=SC1090
    source <(print_env)
    set +a
    "$@" ;;
  *)
    sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2 ;;
esac
