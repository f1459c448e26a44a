#!/usr/bin/env bash
# Installs what the project needs, idempotently: npm packages, the pinned OPA CLI (Go tool), and the
# Debian packages the tests use (php-cli for `php -l`, php-sqlite3 for the resolver's PHP tests, redis-server, postgresql,
# chromium for the browser tests; podman, runc and debootstrap for `make container-test`). Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v php >/dev/null || need_apt+=(php-cli)
# The course resolver's PHP tests run its SQL on an in-memory SQLite database.
{ command -v php >/dev/null && php -r 'exit(extension_loaded("pdo_sqlite") ? 0 : 1);'; } || need_apt+=(php-sqlite3)
command -v redis-server >/dev/null || need_apt+=(redis-server)
[ -x "$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)/initdb" ] || need_apt+=(postgresql)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
for tool in podman runc debootstrap; do command -v "$tool" >/dev/null || need_apt+=("$tool"); done
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing Debian packages: ${need_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "setup: missing ${need_apt[*]} (install them with your package manager; tests that need them will fail)" >&2
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

if [ -f policies/go.mod ]; then
  (cd policies && { GOFLAGS=-mod=mod go tool -n opa >/dev/null 2>&1 || go mod download; })
fi
