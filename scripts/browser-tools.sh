#!/usr/bin/env bash
# Installs Debian's chromium for scripts/check-browser.mjs (npm run test:browser), which drives it
# through puppeteer-core with executablePath: no browser is downloaded from npm or Google.
set -euo pipefail
if [[ $(dpkg-query -W -f='${db:Status-Status}' chromium 2>/dev/null) != installed ]]; then
  echo "browser-tools: installing chromium" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
