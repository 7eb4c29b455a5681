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
# The student's runner (crates/runner), and the authors' tool (crates/xtask).
runner := "cargo run --quiet -p pitlane-runner --"
xtask := "cargo run --quiet -p pitlane-xtask --"
tools := justfile_directory() / ".tools/venv/bin"

# List the recipes
default:
    @just --list --unsorted

# The student's recipes end with the runner's own message: "not finished
# yet" is an answer (exit status 1), not a failed recipe, so `just` adds no
# "recipe failed" line of its own ([no-exit-message]).

# Work on a day: its tests re-run on every save, on one screen (the first unsolved day, or DAY); keys h hint, l days, r reset, n next, q quit
[no-exit-message]
[group('student')]
watch *DAY: setup
    @{{backend}} run {{runner}} watch {{DAY}}

# Run day DAY's tests against your code (`--verbose`: all of cargo's output); FILTER runs only the tests whose names contain it (`just check 02 backoff`)
[no-exit-message]
[group('student')]
check DAY *FILTER: setup
    @{{backend}} run {{runner}} check {{DAY}} {{FILTER}}

# Run day DAY's tests against the reference solution (FILTER as for `check`)
[no-exit-message]
[group('student')]
solution DAY *FILTER: setup
    @{{backend}} run {{runner}} check {{DAY}} --solution {{FILTER}}

# Every day: ✅ passes, ❌ fails, · not started (days unchanged since their last run answer from .pitlane/verdicts)
[no-exit-message]
[group('student')]
progress: setup
    @status=0; {{runner}} progress --cached || status=$?; \
      if [[ $status == 3 ]]; then {{backend}} run {{runner}} progress; else exit $status; fi

# Day DAY's next hint: level 1 the concept, 2 the types and methods, 3 nearly the code (`just hint 03 1` re-reads level 1)
[no-exit-message]
[group('student')]
hint DAY *LEVEL:
    @{{runner}} hint {{DAY}} {{LEVEL}}

# Restore day DAY's starter files, as generated (yours are saved in .pitlane/saved/ first)
[no-exit-message]
[group('student')]
reset DAY:
    @{{runner}} reset {{DAY}}

# Check everything: formatting, clippy, support-crate tests, every day proven, reliability, the templates and workflows, the book, the browser test
[group('instructor')]
test:
    @scripts/test.sh

# Authors: write the starters (all, or day DAY's) from their solutions in solutions/
[no-exit-message]
[group('authors')]
gen *DAY:
    @{{xtask}} gen {{DAY}}

# Authors: the share of each day's cargo-mutants mutants its suite catches (want ≥ 95 %), then its lesson mutants (all caught); all days, or DAYS; slow
[no-exit-message]
[group('authors')]
mutants *DAYS: setup
    @{{backend}} run {{xtask}} mutants {{DAYS}}

# Authors: each day's lesson mutants (wrong answers kept as patches in suites/dayNN-*/lessons/) must fail their tests (all days, or DAYS; `--check`: they still apply)
[no-exit-message]
[group('authors')]
lessons *DAYS: setup
    @{{backend}} run {{xtask}} lessons {{DAYS}}

# The days, in order
[group('student')]
list:
    @{{runner}} list

# Prove every starter is generated and fails its suite, and every solution passes it
[group('authors')]
verify: setup
    @{{backend}} run {{xtask}} verify

# Day 10's command on the local backend: `just load-test plan --records-per-second 5000`, `just load-test tables`, `just load-test spread`
[group('student')]
load-test *ARGS: setup
    @{{backend}} run cargo run --quiet -p day10-scaling --bin load-test -- {{ARGS}}

# The reliability suite: replays, poison records, injected faults, bad requests, crashes
[group('instructor')]
reliability: setup
    {{backend}} run cargo test --quiet -p pitlane-reliability

# The vote system on the local backend: pages, APIs, stream, consumer (`just demo --crowd 1000`)
[no-exit-message]
[group('instructor')]
demo *ARGS: setup
    @{{backend}} run cargo run --quiet -p pitlane-demo -- {{ARGS}}

# The race ends: 3,000 votes at once, 60 % for one driver, through the gateway, a 4-shard stream, the mapping and day 11's consumer on the throttling backend; reports exact counts, votes lost, throttled calls retried and the largest iterator age
[no-exit-message]
[group('instructor')]
burst *ARGS: setup
    @{{backend}} run cargo run --quiet -p pitlane-demo -- --crowd 3000 --hot-share 0.6 --shards 4 --concurrency 64 --port 0 --exit {{ARGS}}

# Days 01–03 on the local backend: create a stream, produce sensor readings, tail them
[no-exit-message]
[group('instructor')]
demo-stream: setup
    @{{backend}} run scripts/demo.sh

# The browser test: vote on the page, see the dashboard change, in English and in Spanish (headless Chromium)
[group('instructor')]
e2e: setup
    @scripts/e2e.sh

# The benchmarks: criterion + the rest, one table (builds the Lambda zips and an optimised build first)
[group('authors')]
bench: setup
    scripts/package.sh
    cargo bench --quiet -p pitlane-bench --bench handler_core
    {{backend}} run cargo bench --quiet -p pitlane-bench --bench pitlane

# Lint offline: the AWS SAM template (cfn-lint, then the SAM transform CloudFormation runs at deploy, then cfn-lint on what it makes), the deploy bootstrap template, and the GitHub workflows (actionlint)
[group('authors')]
lint: setup
    @mkdir -p .pitlane
    @"{{tools}}/cfn-lint" template.yaml
    @"{{tools}}/python" scripts/sam_transform.py template.yaml .pitlane/template.transformed.json
    @"{{tools}}/cfn-lint" .pitlane/template.transformed.json
    @if [ -x .tools/sam/bin/sam ]; then .tools/sam/bin/sam validate --lint --region us-east-1; fi
    @"{{tools}}/cfn-lint" deploy/github-oidc.yaml
    @"{{tools}}/actionlint" -shellcheck= -pyflakes=
    @echo "template.yaml, deploy/github-oidc.yaml, .github/workflows: no lint findings (template.yaml before and after the SAM transform)"

# Build every Lambda function for AWS with cargo-lambda (release, zip; x86_64, and arm64 if installed)
[group('aws')]
package:
    scripts/package.sh

# Deploy the vote system to your AWS account with AWS SAM, no questions (arm64; PITLANE_ARCH=x86_64; refuses without AWS credentials); `--local`: rehearse it offline on moto's CloudFormation
[group('aws')]
deploy *LOCAL:
    @scripts/aws.sh deploy {{LOCAL}}

# Delete everything `just deploy` created (refuses without AWS credentials); `--local`: the rehearsal's stack
[group('aws')]
destroy *LOCAL:
    @scripts/aws.sh destroy {{LOCAL}}

# The web pages for a deployed API, in target/site (`just site https://....execute-api...amazonaws.com`)
[group('aws')]
site API_URL:
    rm -rf target/site && mkdir -p target/site
    cp web/*.html web/*.js web/*.css data/grid.json target/site/
    printf '{\n  "apiBaseUrl": "%s"\n}\n' "{{API_URL}}" > target/site/config.json
    @echo "target/site is ready: python3 -m http.server 8080 -d target/site, then http://localhost:8080/dashboard.html"

# Record Kinesis batches, as Lambda delivers them, into fixtures/
[group('authors')]
record: setup
    {{backend}} run cargo run --quiet -p pitlane-esm --bin record -- --out fixtures

# Build the book into book/build/ (English) and book/build/es/ (Spanish); fails on a broken rule of book/AUTHORING.md, or an English message without its Spanish
[group('instructor')]
book: setup
    @mkdir -p .pitlane
    @{{xtask}} check-book
    @"{{tools}}/python" -c 'import sys, xml.etree.ElementTree as xml; [xml.parse(f) for f in sys.argv[1:]]' book/src/diagrams/*.svg book/src/diagrams/es/*.svg
    @scripts/book.sh build

# Authors: bring the Spanish catalogue (book/po/es.po) up to date with the English, then list what to translate
[no-exit-message]
[group('authors')]
translations: setup
    @scripts/book.sh translations

# Serve the book on http://127.0.0.1:3000 and rebuild it on every save (a live preview; `just book-serve es`: the Spanish edition)
[no-exit-message]
[group('instructor')]
book-serve LANGUAGE="en": setup
    @PATH="{{justfile_directory()}}/.tools/cargo/bin:$PATH" MDBOOK_BOOK__LANGUAGE={{LANGUAGE}} "{{tools}}/mdbook" serve book --hostname 127.0.0.1 --port 3000

# Lint with clippy what `just test` lints: every crate but the days holding your own work, and the benchmarks
[group('authors')]
clippy:
    @{{xtask}} packages > .pitlane/packages
    @packages=(); while read -r package; do packages+=(-p "$package"); done < .pitlane/packages; \
      cargo clippy --quiet --all-targets "${packages[@]}" -p pitlane-bench -- -D warnings

# Install the local tools into .tools/ (idempotent; recipes call it themselves)
[group('backend')]
setup:
    @scripts/setup.sh

# Start the local AWS backend and keep it running (tests then also run from an editor)
[group('backend')]
aws-up: setup
    @{{backend}} up

# Stop the local AWS backend
[group('backend')]
aws-down:
    @{{backend}} down

# Forget every stream and table of the running local backend
[group('backend')]
aws-reset:
    @{{backend}} reset

# Is the local AWS backend running?
[group('backend')]
aws-status:
    @{{backend}} status

# Print the environment that points the AWS SDK at the local backend
[group('backend')]
aws-env:
    @{{backend}} env
