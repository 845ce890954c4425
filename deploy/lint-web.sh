#!/usr/bin/env bash
# The web UI (gateway/web, not its vendored libraries): Biome's lint rules and formatting, any
# warning an error (config: biome.json). `make lint` and deploy/test.sh run this; deploy/setup.sh
# installs the pinned Biome into .tools/js. With --fix, formats the files and applies safe fixes.
set -euo pipefail
cd "$(dirname "$0")/.."
biome=.tools/js/node_modules/.bin/biome
if [ ! -x "$biome" ]; then
    echo "lint-web: $biome is missing: bash deploy/setup.sh installs it" >&2
    exit 1
fi
colors=()
[ -t 1 ] || colors=(--colors=off)
if [ "${1:-}" = "--fix" ]; then
    exec "$biome" check --write "${colors[@]}"
fi
exec "$biome" ci --error-on-warnings "${colors[@]}"
