#!/usr/bin/env bash
# `just e2e`: the browser test (web/tests/vote-and-dashboard.mjs) in headless
# Chromium, against `pitlane-demo` on the local backend.
#
# Chromium comes from Debian's `chromium` package, installed here when
# missing and when this machine can (root on Debian/Ubuntu). Elsewhere, set
# PITLANE_CHROMIUM to a Chromium or Chrome binary. In CI a missing browser
# is an error; on a laptop without one the test is skipped, and says so.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

browser="${PITLANE_CHROMIUM:-/usr/bin/chromium}"
if [[ ! -x "$browser" ]] && command -v apt-get >/dev/null 2>&1 && [[ $(id -u) -eq 0 ]]; then
  echo "pitlane: installing Debian's chromium for the browser test" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null
fi
if [[ ! -x "$browser" ]]; then
  if [[ "${CI:-}" == "true" ]]; then
    echo "pitlane: no Chromium at $browser, and it could not be installed" >&2
    exit 1
  fi
  echo "pitlane: browser test SKIPPED: no Chromium at $browser (install one, or set PITLANE_CHROMIUM)" >&2
  exit 0
fi

# playwright-core needs Node.js 20 or newer (its package says so).
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if (( node_major < 20 )); then
  echo "pitlane: the browser test needs Node.js 20 or newer (this is $(node --version)); the rest of the course runs on 18" >&2
  exit 1
fi

cargo build --quiet -p pitlane-demo
PITLANE_CHROMIUM="$browser" scripts/backend.sh run node web/tests/vote-and-dashboard.mjs
