#!/usr/bin/env bash
# Installs the Debian packages scripts/check-consumers.mjs runs (the real readers of our reports),
# and says which reference files are missing from the cache. Prints, for .ci/run, the
# FWCTL_CTS_CONSUMERS_OPTIONAL value that turns a missing file into a SKIP with its reason.
set -euo pipefail
packages=(libxml2-utils perl python3-junitparser python3-tap python3-jsonschema python3-yaml lava-common)
missing=()
for p in "${packages[@]}"; do
  [[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) == installed ]] || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "consumer-tools: installing ${missing[*]}" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# Files no registry here serves (MIT / LGPL, not committed): Jenkins xunit-plugin's junit-10.xsd
# and a kernelci/kcidb-io checkout, kept in the cache by whoever set the machine up.
cache=${XDG_CACHE_HOME:-$HOME/.cache}/fwctl-cts/consumers
optional=()
[[ -f ${FWCTL_CTS_JUNIT_XSD:-$cache/junit-10.xsd} ]] || { echo "consumer-tools: no junit-10.xsd in $cache (jenkinsci/xunit-plugin src/main/resources/org/jenkinsci/plugins/xunit/types/model/xsd/junit-10.xsd): xmllint check skipped" >&2; optional+=(junit-10.xsd); }
[[ -d ${FWCTL_CTS_KCIDB_IO:-$cache/kcidb-io}/kcidb_io ]] || { echo "consumer-tools: no kcidb-io checkout in $cache (kernelci/kcidb-io): KCIDB check skipped" >&2; optional+=(kcidb-io); }
(IFS=,; echo "${optional[*]:-}")
