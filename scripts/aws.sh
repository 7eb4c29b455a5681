#!/usr/bin/env bash
# just deploy / just destroy: the vote system on *real* AWS, with AWS SAM.
#
#   scripts/aws.sh deploy    sam build + sam deploy (--guided the first time)
#   scripts/aws.sh destroy   deletes the stack and everything it created
#
# Everything else in the workbook runs offline; this is the one place that
# spends money. Both commands refuse, before installing anything, when no AWS
# credentials are configured or when the shell points at the local emulators.
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

deploy() {
  check_credentials deploy
  install_sam
  cd "$root"
  sam build --beta-features
  if [[ -f samconfig.toml ]]; then
    sam deploy
  else
    echo "pitlane: first deployment — SAM asks a few questions and saves the answers to samconfig.toml" >&2
    sam deploy --guided --stack-name "$STACK" --capabilities CAPABILITY_IAM
  fi
  echo ""
  echo "Deployed. Put the ApiUrl output above into web/config.json as \"apiBaseUrl\";"
  echo "'just destroy' deletes everything when you are done."
}

destroy() {
  check_credentials destroy
  install_sam
  cd "$root"
  echo "pitlane: deleting the stack '$STACK': the stream, the tables (and their data), the functions," >&2
  echo "         the API, the user pool, the queue and the log groups." >&2
  sam delete --stack-name "$STACK"
}

case "${1:-}" in
  deploy) deploy ;;
  destroy) destroy ;;
  *) refuse "usage: scripts/aws.sh deploy|destroy" ;;
esac
