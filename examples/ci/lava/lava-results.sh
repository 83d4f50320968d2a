#!/bin/sh
# Report fwctl-cts results to LAVA from results.csv (`<target>.<test id>,<Status>,<seconds>`):
# one test set per target, one lava-test-case per test, named by the test's stable id (no white
# space: LAVA skips such a test_case_id). The run's own entries (target errors, rules not run,
# the verdict) come last, as the set `fwctl-cts`, so a failed run fails in LAVA too.
set -eu
csv=${1:-out/results.csv}
current=
while IFS=, read -r name status _seconds; do
  set=${name%%.*}
  id=${name#*.}
  case $status in
    Pass | UnexpectedPass | Flake) result=pass ;;
    Skip | ExpectedFail) result=skip ;;
    *) result=fail ;;
  esac
  if [ "$set" != "$current" ]; then
    [ -z "$current" ] || lava-test-set stop "$current"
    lava-test-set start "$set"
    current=$set
  fi
  lava-test-case "$id" --result "$result"
done <"$csv"
[ -z "$current" ] || lava-test-set stop "$current"
