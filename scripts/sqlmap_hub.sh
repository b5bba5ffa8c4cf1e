#!/usr/bin/env bash
# SQL injection probe (issue 17): sqlmap (Debian's package: apt-get install -y sqlmap) against
# a demo hub on loopback: the referral web flow (signed in, with its CSRF token), the board
# search and the API (bearer token), every parameter. Prints one line per target and exits 1
# if sqlmap calls any parameter injectable. A scratch SQLite file by default; with
# DATABASE_URL naming a PostgreSQL server, a scratch database on it, dropped afterwards.
#   scripts/sqlmap_hub.sh [sqlmap level 1-5, default 3] [risk 1-3, default 2]
#   ONLY=board_search scripts/sqlmap_hub.sh 2 1   (one target)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v sqlmap >/dev/null || { echo "sqlmap is missing: apt-get install -y sqlmap"; exit 2; }
level=${1:-3}
risk=${2:-2}
port=${SQLMAP_PORT:-5098}
base="http://127.0.0.1:$port"
work=$(mktemp -d)
cleanup() {
  # The script's answer is $found: a stopped server's exit status must not replace it.
  if [ -n "${server:-}" ]; then kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true; fi
  if [ -n "${scratch:-}" ]; then
    psql "$admin_url" -qc "DROP DATABASE IF EXISTS $scratch WITH (FORCE)" >/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
case "${DATABASE_URL:-}" in
  postgres*)
    admin_url=${DATABASE_URL/postgresql+psycopg:/postgresql:}
    scratch="sqlmap_$(date +%s)_$$"
    psql "$admin_url" -qc "CREATE DATABASE $scratch" >/dev/null
    export DATABASE_URL="${admin_url%/*}/$scratch"
    ;;
  *) export DATABASE_URL="sqlite:///$work/hub.db" ;;
esac
export RATELIMIT_ENABLED=false  # sqlmap sends thousands of requests; limits are tested elsewhere
.venv/bin/flask --app wsgi db upgrade >/dev/null 2>&1
.venv/bin/flask --app wsgi hub demo --if-empty >/dev/null 2>&1
token=$(.venv/bin/flask --app wsgi hub token asb.officer@copeland.example --name sqlmap | tail -1)
.venv/bin/flask --app wsgi run --port "$port" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 60); do curl -fs "$base/healthz" >/dev/null && break; sleep 1; done

# A signed-in browser session for the web flow: the email, then the password.
jar="$work/cookies"
csrf() { curl -s -b "$jar" -c "$jar" "$base$1" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -1; }
curl -s -b "$jar" -c "$jar" -o /dev/null "$base/sign-in" \
  --data-urlencode "email=asb.officer@copeland.example" --data-urlencode "csrf_token=$(csrf /sign-in)"
curl -s -b "$jar" -c "$jar" -o /dev/null "$base/sign-in/password" \
  --data-urlencode "email=asb.officer@copeland.example" --data-urlencode "password=demo-password-2026" \
  --data-urlencode "csrf_token=$(csrf /sign-in)"
cookie=$(awk '$6 == "focus_hub_session" {print "focus_hub_session=" $7}' "$jar")
[ -n "$cookie" ] || { echo "could not sign in"; exit 2; }
# A draft referral to probe the steps of.
draft=$(curl -s -b "$jar" -c "$jar" -o /dev/null -w '%{redirect_url}' "$base/referrals/new" \
  --data-urlencode "about=person" --data-urlencode "category=personal" \
  --data-urlencode "csrf_token=$(csrf /referrals/new)" | sed -n 's|.*/referrals/\([0-9]*\)/.*|\1|p')
[ -n "$draft" ] || { echo "could not start a referral"; exit 2; }

common=(--batch --level "$level" --risk "$risk" --disable-coloring
  --output-dir "$work/out" --flush-session --answers "follow=N")
found=0
probe() {
  local name=$1
  shift
  if [ -n "${ONLY:-}" ] && [ "$name" != "$ONLY" ]; then return; fi
  local log="$work/$name.log"
  sqlmap "${common[@]}" "$@" >"$log" 2>&1 || true
  local requests
  requests=$(grep -c . "$work/server.log" || true)
  if grep -q "\[CRITICAL\]" "$log" && ! grep -qiE "all tested parameters do not appear to be injectable" "$log"; then
    found=1
    echo "$name: DID NOT RUN TO THE END"
    grep "\[CRITICAL\]" "$log" | head -3
  elif grep -qiE "is vulnerable|parameter '.*' is '.*' injectable|sqlmap identified the following injection" "$log"; then
    found=1
    echo "$name: INJECTABLE"
    grep -iE "injectable|Parameter:" "$log" | head -5
  else
    echo "$name: nothing found ($(grep -c "\[INFO\] testing '" "$log") techniques tried; server log at $requests lines)"
  fi
}

web=(--cookie "$cookie" --csrf-token csrf_token)
probe web_start -u "$base/referrals/new" --data "about=person&category=personal&hub=copeland&csrf_token=x" \
  "${web[@]}" --csrf-url "$base/referrals/new" --skip csrf_token
probe web_what -u "$base/referrals/$draft/what" \
  --data "summary=Noise&description=Loud+music&first_incident_on-day=1&first_incident_on-month=8&first_incident_on-year=2026&incident_count=3&csrf_token=x" \
  "${web[@]}" --csrf-url "$base/referrals/$draft/what" --skip csrf_token
probe web_where -u "$base/referrals/$draft/where" \
  --data "address=12+Mill+Street&postcode=CA28+7XY&lat=54.5&lon=-3.58&csrf_token=x" \
  "${web[@]}" --csrf-url "$base/referrals/$draft/where" --skip csrf_token
probe web_list -u "$base/referrals/?status=submitted&page=1" "${web[@]}"
probe board_search -u "$base/hubs/copeland/search?q=Mill&band=high&stage=active" "${web[@]}"
api=(-H "Authorization: Bearer $token")
probe api_list -u "$base/api/v1/referrals?hub=copeland&status=submitted&band=high&limit=10&offset=0" "${api[@]}"
probe api_show -u "$base/api/v1/referrals/1*" "${api[@]}"
probe api_create -u "$base/api/v1/referrals" "${api[@]}" --method POST \
  --data '{"hub":"copeland","about":"place","category":"nuisance","summary":"Noise","description":"Loud music at night","first_incident_on":"2026-08-01","incident_count":3,"location":{"address":"12 Mill Street","postcode":"CA28 7XY"},"people":[],"consent":{"given":true},"risk":{"repeat":true}}'
echo "5xx answers in the server log: $(grep -c '"status": 5' "$work/server.log" || true)"
grep '"status": 5' "$work/server.log" | cut -c1-300 | head -20 || true
grep -E 'database unavailable|unhandled error' -A30 "$work/server.log" | cut -c1-300 | head -80 || true
exit $found
