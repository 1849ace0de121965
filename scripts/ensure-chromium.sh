#!/usr/bin/env bash
# The browser test drives Debian's Chromium with Playwright (Playwright's own browser download
# is not available offline). Install it when it is missing and we are allowed to.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  echo "Installing Debian's chromium for the browser test..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "No /usr/bin/chromium and no root apt-get: the browser test will be skipped." >&2
fi
