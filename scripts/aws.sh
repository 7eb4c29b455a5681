#!/usr/bin/env bash
# just deploy / just destroy: the vote system on *real* AWS, with AWS SAM.
#
#   scripts/aws.sh deploy    sam build + sam deploy, no questions (PITLANE_STACK,
#                            PITLANE_ARCH=arm64|x86_64, PITLANE_PARAMETERS), then
#                            the pages uploaded to the stack's bucket (CloudFront)
#   scripts/aws.sh destroy   empties the pages bucket, then deletes the stack and
#                            everything it created
#   ... --local              the same, rehearsed offline on the local backend
#
# Everything else in the workbook runs offline; this is the one place that
# spends money. Both commands refuse, before installing anything, when no AWS
# credentials are configured or when the shell points at the local emulators
# (but for --local, which never leaves this machine).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STACK="${PITLANE_STACK:-pitlane}"
SAM="aws-sam-cli==1.170.0"

refuse() {
  printf 'pitlane: %s\n' "$1" >&2
  shift
  if [[ $# -gt 0 ]]; then printf '         %s\n' "$@" >&2; fi
  exit 1
}

check_credentials() {
  if env | grep -q '^AWS_ENDPOINT_URL'; then
    refuse "AWS_ENDPOINT_URL_* is set in this shell: it points the AWS tools at the local emulators." \
           "Deploy from a shell without those variables (they come from 'just aws-env')."
  fi
  if [[ "${AWS_ACCESS_KEY_ID:-}" == "test" ]]; then
    refuse "AWS_ACCESS_KEY_ID is 'test', the local emulators' dummy key: that is not an AWS account."
  fi
  local config="${AWS_CONFIG_FILE:-$HOME/.aws/config}"
  local credentials="${AWS_SHARED_CREDENTIALS_FILE:-$HOME/.aws/credentials}"
  if [[ -n "${AWS_ACCESS_KEY_ID:-}" && -n "${AWS_SECRET_ACCESS_KEY:-}" ]] \
    || [[ -n "${AWS_PROFILE:-}" || -n "${AWS_WEB_IDENTITY_TOKEN_FILE:-}" ]] \
    || [[ -n "${AWS_CONTAINER_CREDENTIALS_RELATIVE_URI:-}${AWS_CONTAINER_CREDENTIALS_FULL_URI:-}" ]] \
    || [[ -s "$credentials" ]] \
    || { [[ -s "$config" ]] && grep -qE '^\s*(sso_|credential_process|role_arn|aws_access_key_id)' "$config"; }; then
    return 0
  fi
  refuse "No AWS credentials are configured, so there is no AWS account to $1 to." \
         "" \
         "Nothing in the workbook needs one: 'just test' and 'just demo' run offline." \
         "To use your own account: install the AWS CLI, run 'aws configure' (or 'aws configure sso')," \
         "then 'just $1' again. See the book's appendix \"Running on real AWS\" for what it costs."
}

install_sam() {
  local venv="$root/.tools/sam"
  source "$root/scripts/venv.sh"
  ensure_venv "$venv" "$SAM"
  # `sam build` runs cargo-lambda.
  ensure_venv "$root/.tools/lambda" "$CARGO_LAMBDA"
  export PATH="$venv/bin:$root/.tools/lambda/bin:$PATH"
}

# The functions' processor: arm64 unless PITLANE_ARCH says x86_64 (Graviton
# costs about 20 % less per GB-second on Lambda). The build must match it:
# template.yaml's Architecture parameter is set to the same value.
ARCH="${PITLANE_ARCH:-arm64}"

check_architecture() {
  case "$ARCH" in
    arm64) local target=aarch64-unknown-linux-gnu ;;
    x86_64) local target=x86_64-unknown-linux-gnu ;;
    *) refuse "PITLANE_ARCH is '$ARCH': say arm64 (the default) or x86_64." ;;
  esac
  if [[ ! -d "$(rustc --print sysroot)/lib/rustlib/$target" ]]; then
    refuse "Building for $ARCH needs Rust's standard library for $target, which is not installed." \
           "Install it with 'rustup target add $target', or deploy for the other processor:" \
           "PITLANE_ARCH=$([[ $ARCH == arm64 ]] && echo x86_64 || echo arm64) just deploy"
  fi
}

deploy() {
  check_credentials deploy
  check_architecture
  install_sam
  cd "$root"
  local overrides=("Architecture=$ARCH")
  # More parameters, as KEY=VALUE words: PITLANE_PARAMETERS="AllowedOrigin=https://vote.example.com".
  read -r -a extra <<< "${PITLANE_PARAMETERS:-}"
  overrides+=("${extra[@]}")
  sam build --beta-features --parameter-overrides "${overrides[@]}"
  # No questions: the same command on a laptop and in the deploy workflow.
  # A samconfig.toml, if there is one, still supplies the region and the
  # profile; the flags here win over it.
  local options=(--stack-name "$STACK" --capabilities CAPABILITY_IAM --resolve-s3
                 --no-confirm-changeset --no-fail-on-empty-changeset
                 --parameter-overrides "${overrides[@]}")
  # In the deploy workflow, CloudFormation works with its own role
  # (deploy/github-oidc.yaml), not with the caller's permissions.
  if [[ -n "${PITLANE_CLOUDFORMATION_ROLE_ARN:-}" ]]; then
    options+=(--role-arn "$PITLANE_CLOUDFORMATION_ROLE_ARN")
  fi
  sam deploy "${options[@]}"

  # The outputs, read from the stack rather than copied by hand; then the
  # pages, into the stack's bucket, with a config.json for one origin.
  sam list stack-outputs --stack-name "$STACK" --output json > "$root/target/stack-outputs.json"
  "$root/.tools/sam/bin/python" "$root/scripts/pages.py" upload "$STACK"
  echo ""
  echo "Deployed the stack '$STACK' ($ARCH); its outputs are in target/stack-outputs.json."
  echo "The dashboard is live at the pages URL above (CloudFront takes a few minutes to"
  echo "reach every edge location the first time). 'just destroy' deletes everything but"
  echo "the archive bucket (ArchiveBucketName above), which is kept on purpose (day 12)."
}

destroy() {
  check_credentials destroy
  install_sam
  cd "$root"
  echo "pitlane: deleting the stack '$STACK': the stream, the tables (and their data), the functions," >&2
  echo "         the API, the user pool, the queue, the log groups, the pages and their distribution." >&2
  # CloudFormation cannot delete a bucket that holds objects: empty it first.
  "$root/.tools/sam/bin/python" "$root/scripts/pages.py" empty "$STACK"
  sam delete --stack-name "$STACK"
  echo "pitlane: the archive bucket (the stack's ArchiveBucketName output) is kept: it is the record of" >&2
  echo "         every vote (DeletionPolicy: Retain, day 12). Delete it on purpose, once emptied:" >&2
  echo "         aws s3 rb s3://<the bucket> --force" >&2
}

# The rehearsal, offline (scripts/deploy_local.py says what it proves and
# what it cannot): the same steps on moto's CloudFormation. The local backend
# is started and kept running, so that the stack outlives the command until
# `just destroy --local` (then `just aws-down` stops the backend).
deploy_local() {
  cd "$root"
  "$root/scripts/setup.sh"
  "$root/scripts/backend.sh" up
  echo "── the build: the functions' zips, as \`sam build\` makes them (cargo-lambda, release)"
  "$root/scripts/package.sh"
  "$root/scripts/backend.sh" run "$root/.tools/venv/bin/python" "$root/scripts/deploy_local.py" \
    deploy "$STACK" "$root/target/lambda/x86_64"
  echo "── the stack's resources, read back and compared with template.yaml"
  "$root/scripts/backend.sh" run "$root/.tools/venv/bin/python" "$root/scripts/deploy_local.py" check "$STACK"
  echo ""
  echo "Rehearsed: the stack '$STACK' stands on the local backend, which keeps running."
  echo "'just destroy --local' deletes it; 'just aws-down' then stops the backend."
}

destroy_local() {
  "$root/scripts/backend.sh" status > /dev/null \
    || refuse "the local backend is not running, so there is no local stack to delete."
  "$root/scripts/backend.sh" run "$root/.tools/venv/bin/python" "$root/scripts/deploy_local.py" destroy "$STACK"
}

case "${1:-} ${2:-}" in
  "deploy ") deploy ;;
  "destroy ") destroy ;;
  "deploy --local") deploy_local ;;
  "destroy --local") destroy_local ;;
  *) refuse "usage: scripts/aws.sh deploy|destroy [--local]" ;;
esac
