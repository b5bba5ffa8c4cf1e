#!/usr/bin/env bash
# Fuzz the hub's API against its own OpenAPI document with schemathesis (not a dependency of
# the hub: it is installed into a throwaway venv). Starts a demo hub on a scratch SQLite file.
#   scripts/fuzz_api.sh [max examples per operation, default 400]
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
python3 -m venv "$work/st" && "$work/st/bin/pip" install -q schemathesis
export DATABASE_URL="sqlite:///$work/hub.db"
.venv/bin/flask --app wsgi db upgrade >/dev/null
.venv/bin/flask --app wsgi hub demo --if-empty >/dev/null
token=$(.venv/bin/flask --app wsgi hub token ps.coordinator@cumbria-police.example --name fuzz | tail -1)
.venv/bin/flask --app wsgi run --port 5099 >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server; rm -rf "$work"' EXIT
sleep 4
"$work/st/bin/schemathesis" run http://127.0.0.1:5099/api/v1/openapi.json \
  -H "Authorization: Bearer $token" --max-examples "${1:-400}" -c all \
  --phases=examples,coverage,fuzzing
