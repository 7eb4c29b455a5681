# Sourced by the scripts that install a Python tool on first use.

# cargo-lambda from PyPI (with Zig): `just package` and `sam build` use it.
CARGO_LAMBDA="cargo-lambda==1.9.2"
#
# ensure_venv DIR PACKAGE...: a Python venv in DIR holding exactly these pinned
# packages. A stamp records what was installed; when the pins change the venv
# is rebuilt, otherwise this returns at once.
ensure_venv() {
  local dir="$1"
  shift
  # The folder is part of the stamp: a venv's scripts name their python by
  # absolute path, so a course folder copied or moved elsewhere reinstalls
  # (its physical path: a checkout whose .tools links to another shares it).
  mkdir -p "$(dirname "$dir")"
  local want="$* @ $(cd "$(dirname "$dir")" && pwd -P)/$(basename "$dir")"
  if [[ -f "$dir/.pitlane-stamp" && "$(cat "$dir/.pitlane-stamp")" == "$want" ]]; then
    return 0
  fi
  echo "pitlane: installing $want into $dir (once)" >&2
  rm -rf "$dir"
  "${PYTHON:-python3}" -m venv "$dir"
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
  echo "$want" > "$dir/.pitlane-stamp"
}
