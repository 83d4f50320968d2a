#!/usr/bin/env bash
# The package as a user gets it (issue #13): pack the tarball, install it into an empty
# directory with no dev tools, and run it from there, then the same after `npm install -g`.
# Prints the tarball size, the installed size and the install times.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# npm pack runs `prepare` (the build) first; --json says which file it wrote.
tarball=$(npm pack --silent --pack-destination "$work" | tail -n 1)
tgz=$work/$tarball
printf 'tarball: %s, %s bytes, %s files\n' "$tarball" "$(stat -c %s "$tgz")" "$(tar tzf "$tgz" | wc -l)"
# Nothing a run does not need ships: no tests, benchmarks, VM tooling or TypeScript sources.
if tar tzf "$tgz" | grep -E '^package/(dist/(test|bench)/|test/|bench/|vm/|harness/|suites/)|\.ts$' | grep -v '\.d\.ts$'; then
  echo 'check-package: the tarball ships files a run does not need (above)' >&2
  exit 1
fi

run() { # DIR CMD... : run a command from an installed copy; the report goes to DIR/out
  local dir=$1; shift
  (cd "$dir" && "$@")
}

local_dir=$work/local
mkdir -p "$local_dir"
start=$(date +%s%N)
run "$local_dir" npm install --no-audit --no-fund --loglevel=error "$tgz" >/dev/null
printf 'npm install (local): %d ms, node_modules %s\n' $((($(date +%s%N) - start) / 1000000)) "$(du -sh "$local_dir/node_modules" | cut -f1)"
printf 'fwctl-cts installed: %s\n' "$(du -sh "$local_dir/node_modules/fwctl-cts" | cut -f1)"
run "$local_dir" npx --no-install fwctl-cts --help >/dev/null
run "$local_dir" npx --no-install fwctl-cts run --target sim:cxl --report-dir out | tail -n 3
test -s "$local_dir/out/report.json"

global_dir=$work/global
start=$(date +%s%N)
npm install -g --prefix "$global_dir" --no-audit --no-fund --loglevel=error "$tgz" >/dev/null
printf 'npm install -g --prefix: %d ms\n' $((($(date +%s%N) - start) / 1000000))
mkdir -p "$work/g-run"
run "$work/g-run" "$global_dir/bin/fwctl-cts" --help >/dev/null
run "$work/g-run" "$global_dir/bin/fwctl-cts" run --target sim:cxl --report-dir out | tail -n 3
test -s "$work/g-run/out/report.json"
echo 'check-package: ok'
