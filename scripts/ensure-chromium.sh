#!/usr/bin/env bash
# The browser test drives Debian's Chromium with Playwright (Playwright's own browser download
# is not available offline). Install it when it is missing and we are allowed to.
set -euo pipefail
# The custom-runtime tests' bootstraps (tests/local/runtime/test_custom_runtime.py) call the
# Lambda Runtime API with curl, as AWS's examples do; without it they are skipped.
if ! command -v curl >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
    echo "Installing Debian's curl for the custom-runtime tests..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null
  else
    echo "No curl and no root apt-get: the custom-runtime tests will be skipped." >&2
  fi
fi
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
