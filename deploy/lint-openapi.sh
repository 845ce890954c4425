#!/usr/bin/env bash
# The OpenAPI document against Redocly's recommended rules (redocly.yaml at the repository's
# root, justified ignores in .redocly.lint-ignore.yaml). The document is exported from the code,
# no running stack needed; the pinned @redocly/cli is the one deploy/setup.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."

redocly=.tools/redocly/node_modules/.bin/redocly
if [ ! -x "$redocly" ]; then
    echo "lint-openapi: $redocly is missing: run deploy/setup.sh (it installs the pinned @redocly/cli)" >&2
    exit 1
fi
# (EVENTLET_TESTS only quiets eventlet's deprecation notice, printed on every import.)
EVENTLET_TESTS=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" .venv/bin/python -m gateway.openapi var/openapi.json
# No usage reports sent, no update notices (the machine may be offline).
REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_NOTIFICATIONS=true "$redocly" lint --format=stylish var/openapi.json
