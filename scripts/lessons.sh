#!/usr/bin/env bash
# just lessons [--check] [NN...]: applies each lesson mutant of each day (all
# days, or the ones named) to the day's solution, runs the tests it names, and
# expects them to fail. Exit status 1 when one passes, does not compile, fails
# elsewhere than the tests it names, or no longer applies.
#
# A lesson mutant is a wrong answer a careless student could write and that
# once passed its suite (or easily could): `let _ =` on an error, a blocking
# sleep, a field left out, a header missing on an error path. cargo-mutants'
# operators never write these, so they are kept by hand, one patch each, in
# suites/dayNN-*/lessons/*.patch. The text before the patch's first
# `diff --git` line says what the answer gets wrong; its `Caught by:` line
# names the tests that must fail for it (a test's name, without its module).
# A change to a suite that lets one pass again fails `just lessons`.
#
# Write one: change the solution as the student would, then
#   { printf 'Wrong answer: …\nCaught by: test_name\n\n'; git diff solutions/; } \
#     > suites/dayNN-…/lessons/short-name.patch
#   git checkout solutions/
#
# `--check` only proves every patch still applies (quick: no build). The
# patches are applied in place (one shared target/), each one reversed at
# once, also on Ctrl-C.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# As the runner runs the suites: in a time zone that is not UTC, so that
# code reading the local clock where AWS means UTC fails (crates/course/src/days.rs).
export TZ=Asia/Kolkata
cd "$root"

only_check=false
if [[ "${1:-}" == "--check" ]]; then only_check=true; shift; fi

days=()
if (($# == 0)); then
  for folder in suites/day*/; do days+=("$(basename "$folder")"); done
else
  for number in "$@"; do
    number=$(printf '%02d' "$((10#${number#day}))")
    matches=(suites/day"$number"-*/)
    [[ -d "${matches[0]}" ]] || { echo "pitlane: there is no day $number" >&2; exit 2; }
    days+=("$(basename "${matches[0]}")")
  done
fi

# GNU timeout (macOS: brew install coreutils); without it, no limit.
limit=()
if command -v timeout > /dev/null; then limit=(timeout 600); fi

applied=""
restore() {
  if [[ -n "$applied" ]]; then
    git apply -R "$applied" || echo "pitlane: could not reverse $applied: run git checkout solutions/" >&2
    applied=""
  fi
}
trap restore EXIT
trap 'restore; exit 130' INT TERM

summary=()
status=0
for slug in "${days[@]}"; do
  patches=(suites/"$slug"/lessons/*.patch)
  [[ -f "${patches[0]}" ]] || { summary+=("❌ day ${slug:3:2}  no lesson mutants"); status=1; continue; }
  caught=0
  for patch in "${patches[@]}"; do
    name="$(basename "$patch" .patch)"
    if ! git apply --check "$patch" 2> /dev/null; then
      summary+=("❌ day ${slug:3:2}  $name: no longer applies to the solution (write it again)"); status=1; continue
    fi
    tests=$(sed -n 's/^Caught by: *//p' "$patch" | tr ',' ' ')
    if [[ -z "$tests" ]]; then
      summary+=("❌ day ${slug:3:2}  $name: it names no test (a 'Caught by:' line)"); status=1; continue
    fi
    if $only_check; then caught=$((caught + 1)); continue; fi

    echo "── day ${slug:3:2}: lesson mutant $name (expected to fail: $tests)" >&2
    git apply "$patch"; applied="$patch"
    # shellcheck disable=SC2086 # the test names are separate filters
    # A wrong answer may loop for ever (a deadline that moves with each
    # look): past 10 minutes its run is stopped, and counted as caught, as
    # cargo-mutants counts a timeout (a student notices a hang).
    hung=false
    output=$("${limit[@]}" cargo test --quiet -p "$slug-solution" --test "day${slug:3:2}" -- $tests 2>&1) \
      && passed=true || { [[ $? == 124 ]] && hung=true; passed=false; }
    restore

    if $hung; then
      caught=$((caught + 1)); summary+=("   day ${slug:3:2}  $name: hung, stopped after 10 minutes (counted as caught)")
    elif $passed; then
      summary+=("❌ day ${slug:3:2}  $name: PASSES the tests it names: the suite no longer catches it"); status=1
    elif grep -q '^error\(\[E[0-9]*\]\)\?: ' <<< "$output" && ! grep -q '^failures:' <<< "$output"; then
      summary+=("❌ day ${slug:3:2}  $name: does not compile (a lesson mutant must build and fail its tests)"); status=1
      grep -m 5 '^error' <<< "$output" >&2 || true
    else
      missing=()
      for test in $tests; do
        grep -Eq "^    (.*::)?$test\$" <<< "$output" || missing+=("$test")
      done
      if ((${#missing[@]} > 0)); then
        summary+=("❌ day ${slug:3:2}  $name: failed, but not in ${missing[*]}"); status=1
      else
        caught=$((caught + 1))
      fi
    fi
  done
  verb="caught"; $only_check && verb="apply"
  summary+=("$(printf '%s day %s  %d/%d lesson mutants %s' "$([[ $caught == "${#patches[@]}" ]] && echo ✅ || echo ❌)" "${slug:3:2}" "$caught" "${#patches[@]}" "$verb")")
done

echo
echo "── lesson mutants (wrong answers a careless student could write; each must fail its tests)"
printf '%s\n' "${summary[@]}"
exit $status
