#!/usr/bin/env bash
# Installs the Debian packages the tests start for real: a PostgreSQL server (the store's
# tests run the same schema on it). Needs root, as in CI; without it, those tests skip.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "ensure-services: not root, PostgreSQL tests will be skipped" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq postgresql >/dev/null
