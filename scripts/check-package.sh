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

# The worked example (examples/vendor-device, docs/plugins.md) from the installed tarball: a device
# type fwctl-cts has never seen, described only as data. The plugin is an npm package of its own
# (--plugin by name) and a directory (--plugin by path); clean is COMPLIANT, each defect fails
# exactly the rules sim/defects.json names.
cp -r examples/vendor-device "$work/vendor-device"
plugin_tgz=$(cd "$work" && npm pack --silent ./vendor-device | tail -n 1)
run "$local_dir" npm install --no-audit --no-fund --loglevel=error "$work/$plugin_tgz" >/dev/null
sim="exec:python3 $work/vendor-device/sim/acme_pctl_sim.py"
run "$local_dir" npx --no-install fwctl-cts run --plugin acme-pctl --target "$sim" --report-dir out-example --no-progress | grep Verdict
node -e 'const r = require(process.argv[1]); if (r.verdict !== "compliant") process.exit(1); const p = r.plugins[0]; console.log(`plugin ${p.name} ${p.version} sha256 ${p.sha256}`)' "$local_dir/out-example/report.json"
caught=0
defects=$(node -e 'console.log(Object.keys(require(process.argv[1])).join(" "))' "$work/vendor-device/sim/defects.json")
for d in $defects; do
  set +e
  run "$local_dir" npx --no-install fwctl-cts run --plugin "$work/vendor-device" --target "$sim --defect $d" --report-dir "out-$d" --no-progress >/dev/null
  code=$?
  set -e
  node -e '
    const [report, catalog, d, code] = process.argv.slice(1);
    const failed = require(report).rules.filter((r) => r.verdict === "fail").map((r) => r.id).sort();
    const breaks = [...require(catalog)[d].breaks].sort();
    console.log(`defect ${d}: exit ${code}, failed ${failed.join(", ") || "nothing"}`);
    if (code !== "1" || failed.join() !== breaks.join()) { console.error(`check-package: defect ${d}: expected exactly ${breaks.join(", ")}`); process.exit(1); }
  ' "$local_dir/out-$d/report.json" "$work/vendor-device/sim/defects.json" "$d" "$code"
  caught=$((caught + 1))
done
printf 'example plugin: clean COMPLIANT, %d of %d defects caught by exactly their rules\n' "$caught" "$(echo $defects | wc -w)"

global_dir=$work/global
start=$(date +%s%N)
npm install -g --prefix "$global_dir" --no-audit --no-fund --loglevel=error "$tgz" >/dev/null
printf 'npm install -g --prefix: %d ms\n' $((($(date +%s%N) - start) / 1000000))
mkdir -p "$work/g-run"
run "$work/g-run" "$global_dir/bin/fwctl-cts" --help >/dev/null
run "$work/g-run" "$global_dir/bin/fwctl-cts" run --target sim:cxl --report-dir out | tail -n 3
test -s "$work/g-run/out/report.json"
echo 'check-package: ok'
