#!/usr/bin/env bash
# php -l on every PHP file of the Moodle-side exporter (codegen/moodle/). Fails when php is missing:
# scripts/setup.sh installs php-cli from Debian packages.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v php >/dev/null 2>&1; then
  echo "php-lint: php is not installed (run scripts/setup.sh, or apt-get install -y php-cli)" >&2
  exit 1
fi
mapfile -t files < <(find codegen/moodle -name '*.php' -type f | LC_ALL=C sort)
if [ "${#files[@]}" -eq 0 ]; then
  echo "php-lint: no PHP files under codegen/moodle" >&2
  exit 1
fi
failed=0
for file in "${files[@]}"; do
  if ! output=$(php -d display_errors=1 -l "$file" 2>&1); then
    echo "$output" >&2
    failed=1
  fi
done
if [ "$failed" -ne 0 ]; then
  echo "php-lint: syntax errors found" >&2
  exit 1
fi
echo "php-lint: ${#files[@]} files OK ($(php -r 'echo PHP_VERSION;'))"
