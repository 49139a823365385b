#!/usr/bin/env bash
# Makes sure Debian's Chromium is at /usr/bin/chromium for the browser test
# (tests/web/test_browser.py drives it with Playwright; Playwright's own browser download
# does not work here). Needs root, as in CI (no sudo); without it, that test skips.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "ensure-chromium: not root and no /usr/bin/chromium, the browser test will be skipped" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y chromium
test -x /usr/bin/chromium
