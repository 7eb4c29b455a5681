#!/usr/bin/env bash
# just mutants [NN...]: runs cargo-mutants over each day's solution (all days,
# or the ones named) and prints, per day, how many viable mutants its suite
# catches. Exit status 1 when a day catches less than 95 %.
#
# The mutants are made in place (`--in-place`, so that they reuse the shared
# target/ rather than compiling the AWS SDK again in a copy): cargo-mutants
# restores each file after its mutant, and also on Ctrl-C. Commit or stash
# your changes to solutions/ before a run all the same.
#
# Then each day's lesson mutants (scripts/lessons.sh): every one must fail.
#
# Configuration and the list of exclusions, with their reasons:
# .cargo/mutants.toml. Each day's full results: .pitlane/mutants/dayNN-*/.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# As the runner runs the suites: in a time zone that is not UTC, so that
# code reading the local clock where AWS means UTC fails (crates/course/src/days.rs).
export TZ=Asia/Kolkata
version="27.1.0"
bin="$root/.tools/cargo/bin/cargo-mutants"
want=95

if [[ "$("$bin" mutants --version 2>/dev/null || true)" != *"$version"* ]]; then
  echo "pitlane: installing cargo-mutants $version into .tools/cargo (from crates.io, about 3 minutes, once)" >&2
  cargo install --quiet --locked cargo-mutants --version "$version" --root "$root/.tools/cargo"
fi

days=()
if (($# == 0)); then
  for folder in "$root"/solutions/day*/; do days+=("$(basename "$folder")"); done
else
  for number in "$@"; do
    number=$(printf '%02d' "$((10#${number#day}))")
    matches=("$root"/solutions/day"$number"-*/)
    [[ -d "${matches[0]}" ]] || { echo "pitlane: there is no day $number" >&2; exit 2; }
    days+=("$(basename "${matches[0]}")")
  done
fi

# The lines of a cargo-mutants list (0 when it is missing or empty).
count() {
  local lines=0
  [[ -f "$1" ]] && lines=$(grep -c . "$1" || true)
  echo "${lines:-0}"
}

summary=()
status=0
for slug in "${days[@]}"; do
  out="$root/.pitlane/mutants/$slug"
  rm -rf "$out"; mkdir -p "$out"
  echo "── day ${slug:3:2}: cargo mutants over $slug-solution" >&2
  # cargo-mutants exits non-zero when a mutant is missed: the figures say it.
  (cd "$root" && "$bin" mutants --in-place --no-shuffle -p "$slug-solution" --output "$out") || true
  results="$out/mutants.out"
  [[ -f "$results/outcomes.json" ]] || { echo "pitlane: cargo-mutants did not finish for $slug" >&2; exit 2; }
  caught=$(count "$results/caught.txt"); missed=$(count "$results/missed.txt")
  timeout=$(count "$results/timeout.txt"); unviable=$(count "$results/unviable.txt")
  viable=$((caught + missed + timeout))
  percent=100
  ((viable > 0)) && percent=$(((caught + timeout) * 100 / viable))
  mark="✅"; ((percent >= want)) || { mark="❌"; status=1; }
  summary+=("$(printf '%s day %s  %3d/%-3d caught (%3d %%)  %d unviable' "$mark" "${slug:3:2}" "$((caught + timeout))" "$viable" "$percent" "$unviable")")
  if ((missed > 0)); then
    while read -r line; do summary+=("      missed: $line"); done < "$results/missed.txt"
  fi
done

# Beside cargo-mutants' own, the day's lesson mutants: wrong answers a
# careless student could write (a blocking sleep, a `let _ =`), which
# cargo-mutants' operators never make. Each must fail its tests.
numbers=()
for slug in "${days[@]}"; do numbers+=("${slug:3:2}"); done
lessons=0
"$root/scripts/lessons.sh" "${numbers[@]}" > "$root/.pitlane/mutants/lessons.txt" 2>&1 || lessons=$?

echo
echo "── mutants caught per day (timeouts count as caught; want ≥ $want %)"
printf '%s\n' "${summary[@]}"
sed -n '/^── lesson mutants/,$p' "$root/.pitlane/mutants/lessons.txt"
((lessons == 0)) || status=1
exit $status
