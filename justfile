# Pitlane — real-time streaming on AWS, in Rust.
# `just` lists the recipes; `just test` checks everything; `just demo` runs the pipeline.
#
# Every recipe that needs a tool installs it first (into .tools/, once), and
# every recipe that talks to AWS runs against the local backend (kinesis-local
# and moto on loopback), started for it and stopped after it unless `just
# aws-up` keeps one running.

set shell := ["bash", "-euo", "pipefail", "-c"]

# Every program finds the checkout from here (crates/layout), never from where
# it was compiled: a course folder copied or moved elsewhere tests itself.
export PITLANE_ROOT := justfile_directory()

backend := "scripts/backend.sh"
runner := "cargo run --quiet -p pitlane-runner --"
tools := justfile_directory() / ".tools/venv/bin"

# List the recipes
default:
    @just --list --unsorted

# The support crates: every workspace crate but the days (`verify` proves
# those), the reliability suite (a step of its own) and the benchmarks (no
# tests; clippy compiles them). Derived, so that a new crate is tested too.
support := '--workspace --exclude "day*" --exclude pitlane-reliability --exclude pitlane-bench'

# clippy lints every workspace crate *while* `just test` compiles it
# (clippy-driver as the compiler of the workspace's own crates; cargo builds
# the dependencies as usual), so that clippy costs no second pass over the
# dependencies. Every cargo command of `just test` carries it, so they all
# share one build; warnings are errors there.
clippy_build := 'RUSTC_WORKSPACE_WRAPPER="$(rustc --print sysroot)/bin/clippy-driver" CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"'

# Check everything: formatting, clippy, support-crate tests, every day proven, reliability, the SAM template, the book, the browser test
test:
    @mkdir -p .pitlane
    @echo "── formatting, then every crate's tests and the benchmarks built and linted by clippy (the tools install meanwhile)"
    @echo "   (a day holding your own work, and any day built on it, is left to \`just progress\`)"
    scripts/setup.sh > .pitlane/setup.log 2>&1 & setup=$!; built=0; \
      { {{clippy_build}} {{runner}} packages > .pitlane/packages \
        && cargo fmt --check $(sed 's/^/-p /' .pitlane/packages) \
        && {{clippy_build}} cargo test --no-run --quiet $(sed 's/^/-p /' .pitlane/packages) \
        && {{clippy_build}} cargo test --no-run --quiet -p pitlane-bench --benches; } \
        || built=$?; \
      wait $setup || { cat .pitlane/setup.log; exit 1; }; cat .pitlane/setup.log; exit $built
    @echo "── days: every starter fails its suite, every solution passes it (the support crates' tests run meanwhile)"
    {{clippy_build}} {{backend}} run bash -c '\
      cargo test --quiet {{support}} > .pitlane/support.log 2>&1 & support=$!; \
      {{runner}} verify; verified=$?; wait $support; tested=$?; \
      echo "── support crates"; cat .pitlane/support.log; \
      [[ $verified == 0 && $tested == 0 ]]'
    @scripts/lessons.sh --check
    @echo "── reliability: replays, poison, faults, bad input, crashes"
    {{clippy_build}} {{backend}} run cargo test --quiet -p pitlane-reliability
    @echo "── the AWS SAM template: cfn-lint, and the SAM transform as at deploy"
    just lint
    @echo "── book"
    {{clippy_build}} just book
    @echo "── browser: vote, and see the dashboard change"
    {{clippy_build}} just e2e

# The student's recipes end with the runner's own message: "not finished
# yet" is an answer (exit status 1), not a failed recipe, so `just` adds no
# "recipe failed" line of its own ([no-exit-message]).

# Work on a day: its tests re-run on every save, on one screen (the first unsolved day, or DAY); keys h hint, l days, r reset, n next, q quit
[no-exit-message]
watch *DAY: setup
    @{{backend}} run {{runner}} watch {{DAY}}

# Run day DAY's tests against your code (`--verbose`: all of cargo's output); FILTER runs only the tests whose names contain it (`just check 02 backoff`)
[no-exit-message]
check DAY *FILTER: setup
    @{{backend}} run {{runner}} check {{DAY}} {{FILTER}}

# Run day DAY's tests against the reference solution (FILTER as for `check`)
[no-exit-message]
solution DAY *FILTER: setup
    @{{backend}} run {{runner}} check {{DAY}} --solution {{FILTER}}

# Every day: ✅ passes, ❌ fails, · not started (days unchanged since their last run answer from .pitlane/verdicts)
[no-exit-message]
progress: setup
    @status=0; {{runner}} progress --cached || status=$?; \
      if [[ $status == 3 ]]; then {{backend}} run {{runner}} progress; else exit $status; fi

# Day DAY's next hint: level 1 the concept, 2 the types and methods, 3 nearly the code (`just hint 03 1` re-reads level 1)
[no-exit-message]
hint DAY *LEVEL:
    @{{runner}} hint {{DAY}} {{LEVEL}}

# Restore day DAY's starter files, as generated (yours are saved in .pitlane/saved/ first)
[no-exit-message]
reset DAY:
    @{{runner}} reset {{DAY}}

# Authors: write the starters (all, or day DAY's) from their solutions in solutions/
[no-exit-message]
[group('authors')]
gen *DAY:
    @{{runner}} gen {{DAY}}

# Authors: the share of each day's cargo-mutants mutants its suite catches (want ≥ 95 %), then its lesson mutants (all caught); all days, or DAYS; slow
[no-exit-message]
[group('authors')]
mutants *DAYS: setup
    @{{backend}} run scripts/mutants.sh {{DAYS}}

# Authors: each day's lesson mutants (wrong answers kept as patches in suites/dayNN-*/lessons/) must fail their tests (all days, or DAYS; `--check`: they still apply)
[no-exit-message]
[group('authors')]
lessons *DAYS: setup
    @{{backend}} run scripts/lessons.sh {{DAYS}}

# The days, in order
list:
    @{{runner}} list

# Prove every starter is generated and fails its suite, and every solution passes it
verify: setup
    @{{backend}} run {{runner}} verify

# Day 10's command on the local backend: `just load-test plan --records-per-second 5000`, `just load-test tables`, `just load-test spread`
load-test *ARGS: setup
    @{{backend}} run cargo run --quiet -p day10-scaling --bin load-test -- {{ARGS}}

# The reliability suite: replays, poison records, injected faults, bad requests, crashes
reliability: setup
    {{backend}} run cargo test --quiet -p pitlane-reliability

# The vote system on the local backend: pages, APIs, stream, consumer (`just demo --crowd 1000`)
demo *ARGS: setup
    @{{backend}} run cargo run --quiet -p pitlane-demo -- {{ARGS}}

# The race ends: 3,000 votes at once, 60 % for one driver, through the gateway, a 4-shard stream, the mapping and day 11's consumer on the throttling backend; reports exact counts, votes lost, throttled calls retried and the largest iterator age
burst *ARGS: setup
    @{{backend}} run cargo run --quiet -p pitlane-demo -- --crowd 3000 --hot-share 0.6 --shards 4 --concurrency 64 --port 0 --exit {{ARGS}}

# Days 01–03 on the local backend: create a stream, produce sensor readings, tail them
demo-stream: setup
    @{{backend}} run scripts/demo.sh

# The browser test: vote on the page, see the dashboard change (headless Chromium)
e2e: setup
    scripts/e2e.sh

# The benchmarks: criterion + the rest, one table (builds the Lambda zips and an optimised build first)
bench: setup
    scripts/package.sh
    cargo bench --quiet -p pitlane-bench --bench handler_core
    {{backend}} run cargo bench --quiet -p pitlane-bench --bench pitlane

# Lint offline: the AWS SAM template (cfn-lint, then the SAM transform CloudFormation runs at deploy, then cfn-lint on what it makes), the deploy bootstrap template, and the GitHub workflows (actionlint)
lint: setup
    @mkdir -p .pitlane
    "{{tools}}/cfn-lint" template.yaml
    "{{tools}}/python" scripts/sam_transform.py template.yaml .pitlane/template.transformed.json
    "{{tools}}/cfn-lint" .pitlane/template.transformed.json
    @if [ -x .tools/sam/bin/sam ]; then .tools/sam/bin/sam validate --lint --region us-east-1; fi
    "{{tools}}/cfn-lint" deploy/github-oidc.yaml
    "{{tools}}/actionlint" -shellcheck= -pyflakes=
    @echo "template.yaml, deploy/github-oidc.yaml, .github/workflows: no lint findings (template.yaml before and after the SAM transform)"

# Build every Lambda function for AWS with cargo-lambda (release, zip; x86_64, and arm64 if installed)
package:
    scripts/package.sh

# Deploy the vote system to your AWS account with AWS SAM, no questions (arm64; PITLANE_ARCH=x86_64; refuses without AWS credentials)
deploy:
    scripts/aws.sh deploy

# Delete everything `just deploy` created (refuses without AWS credentials)
destroy:
    scripts/aws.sh destroy

# The web pages for a deployed API, in target/site (`just site https://....execute-api...amazonaws.com`)
site API_URL:
    rm -rf target/site && mkdir -p target/site
    cp web/*.html web/*.js web/*.css data/grid.json target/site/
    printf '{\n  "apiBaseUrl": "%s"\n}\n' "{{API_URL}}" > target/site/config.json
    @echo "target/site is ready: python3 -m http.server 8080 -d target/site, then http://localhost:8080/dashboard.html"

# Record Kinesis batches, as Lambda delivers them, into fixtures/
record: setup
    {{backend}} run cargo run --quiet -p pitlane-esm --bin record -- --out fixtures

# Build the book into book/build/ (open book/build/index.html); fails on a broken rule of book/AUTHORING.md
book: setup
    @mkdir -p .pitlane
    @{{runner}} check-book
    @"{{tools}}/python" -c 'import sys, xml.etree.ElementTree as xml; [xml.parse(f) for f in sys.argv[1:]]' book/src/diagrams/*.svg
    "{{tools}}/mdbook" build book 2>&1 | tee .pitlane/book.log
    @! grep -E "WARN|ERROR" .pitlane/book.log

# Serve the book on http://127.0.0.1:3000 and rebuild it on every save (a live preview)
book-serve: setup
    "{{tools}}/mdbook" serve book --hostname 127.0.0.1 --port 3000

# Lint the Rust code with clippy
clippy:
    cargo clippy --workspace --all-targets -- -D warnings

# Install the local tools into .tools/ (idempotent; recipes call it themselves)
setup:
    @scripts/setup.sh

# Start the local AWS backend and keep it running (tests then also run from an editor)
aws-up: setup
    @{{backend}} up

# Stop the local AWS backend
aws-down:
    @{{backend}} down

# Forget every stream and table of the running local backend
aws-reset:
    @{{backend}} reset

# Is the local AWS backend running?
aws-status:
    @{{backend}} status

# Print the environment that points the AWS SDK at the local backend
aws-env:
    @{{backend}} env
