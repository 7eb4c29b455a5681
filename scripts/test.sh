#!/usr/bin/env bash
# just test: everything a change must pass, in order, each step announced by
# a "── " line; only what the steps report is shown. CI runs it (.ci/run),
# and instructors run it before a class.
#
# A day holding a student's own work (and any day built on it) is left to
# `just progress`: `verify` proves the generated starter in a scratch
# workspace instead, so `just test` passes in a student's checkout too.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mkdir -p .pitlane

linted="scripts/with-clippy.sh"          # one build that compiles and lints
backend="scripts/backend.sh"             # the local backend, for the steps that need it
xtask=(cargo run --quiet -p pitlane-xtask --)  # the authors' tool (crates/xtask)
step() { printf '── %s\n' "$*"; }

step "formatting, then every crate's tests and the benchmarks built and linted by clippy (the tools install meanwhile)"
# The tools (Python venv, Node packages, Chromium) install beside the build:
# one waits on the network, the other on the CPU.
scripts/setup.sh > .pitlane/setup.log 2>&1 &
setup=$!
built=0
# (Chained with &&: inside a `|| built=$?` list, bash's errexit is off, and
# a failed step would not stop the next one.)
packages=()
"$linted" "${xtask[@]}" packages > .pitlane/packages \
  && while read -r package; do packages+=(-p "$package"); done < .pitlane/packages \
  && cargo fmt --check "${packages[@]}" \
  && "$linted" cargo test --no-run --quiet "${packages[@]}" \
  && "$linted" cargo test --no-run --quiet -p pitlane-bench --benches \
  || built=$?
wait $setup || { cat .pitlane/setup.log; exit 1; }
cat .pitlane/setup.log
((built == 0)) || exit $built

step "days: every starter fails its suite, every solution passes it (the support crates' tests run meanwhile)"
# The support crates: every workspace crate but the days (`verify` proves
# those), the reliability suite (a step of its own) and the benchmarks (no
# tests; clippy compiled them above). Derived, so a new crate is tested too.
"$linted" "$backend" run bash -c '
  cargo test --quiet --workspace --exclude "day*" --exclude pitlane-reliability --exclude pitlane-bench \
    > .pitlane/support.log 2>&1 &
  support=$!
  cargo run --quiet -p pitlane-xtask -- verify; verified=$?
  wait $support; tested=$?
  printf "── %s\n" "support crates"; cat .pitlane/support.log
  [[ $verified == 0 && $tested == 0 ]]'
scripts/lessons.sh --check

step "reliability: replays, poison, faults, bad input, crashes"
"$linted" "$backend" run cargo test --quiet -p pitlane-reliability

step "the AWS SAM template, the deploy bootstrap and the workflows: cfn-lint, the SAM transform as at deploy, actionlint"
./just lint

step "book: the rules of book/AUTHORING.md, every message translated, both editions built"
"$linted" ./just book

step "browser: vote in English and in Spanish, and see the dashboard change"
"$linted" ./just e2e
