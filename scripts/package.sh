#!/usr/bin/env bash
# just package: builds every Lambda function of the deployed system with
# cargo-lambda (release profile, zipped as Lambda wants: one `bootstrap`),
# for x86_64 always and for arm64 when the aarch64 standard library is
# installed, and prints a table of function, architecture and zip size.
#
# cargo-lambda comes from PyPI (with Zig, which links against an old glibc, so
# the binaries run on Lambda's Amazon Linux 2023 whatever this machine has).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.tools/lambda"

# The functions template.yaml deploys: (function, binary).
FUNCTIONS=(
  "vote-api:vote-api-solution"
  "record-votes:keep-up-votes-solution"
  "results-api:results-api-solution"
  "event-logs:event-logs-solution"
)

source "$root/scripts/venv.sh"
# With Zig, about 470 MB, once.
ensure_venv "$venv" "$CARGO_LAMBDA"
export PATH="$venv/bin:$PATH"
cd "$root"

bins=()
for entry in "${FUNCTIONS[@]}"; do bins+=(--bin "${entry#*:}"); done

# build ARCH FLAG DIR: builds every function for ARCH into DIR.
build() {
  echo "── $1: cargo lambda build --release $2" >&2
  cargo lambda build --release "$2" --output-format zip --lambda-dir "$3" "${bins[@]}"
}

architectures=("x86_64")
build x86_64 --x86-64 target/lambda/x86_64
sysroot="$(rustc --print sysroot)"
if [[ -d "$sysroot/lib/rustlib/aarch64-unknown-linux-gnu" ]]; then
  build arm64 --arm64 target/lambda/arm64
  architectures+=("arm64")
else
  echo "" >&2
  echo "pitlane: arm64 NOT built — this toolchain has no aarch64 standard library." >&2
  echo "         Install it with 'rustup target add aarch64-unknown-linux-gnu' and run 'just package' again." >&2
fi

echo ""
printf '%-14s %-26s %-8s %10s\n' function binary arch "zip size"
for entry in "${FUNCTIONS[@]}"; do
  for arch in "${architectures[@]}"; do
    zip="target/lambda/$arch/${entry#*:}/bootstrap.zip"
    [[ -f "$zip" ]] || { echo "pitlane: $zip is missing" >&2; exit 1; }
    size=$(stat -c %s "$zip")
    printf '%-14s %-26s %-8s %7s MB\n' "${entry%%:*}" "${entry#*:}" "$arch" \
      "$(awk -v bytes="$size" 'BEGIN { printf "%.1f", bytes / 1048576 }')"
  done
done
echo ""
echo "Zips: target/lambda/<arch>/<binary>/bootstrap.zip — 'just deploy' builds and uploads them with AWS SAM."
