#!/usr/bin/env bash
# `make test`'s test run: two shards and the browser tests side by side, then the
# chaos run alone.
#
# `nameko test` runs every service of a test inside its own Python process, so one
# shard keeps about one core busy; two shards use this machine's two. The browser
# tests (tests/browser) run under plain pytest, outside eventlet, against the suite
# as `make run` starts it; they wait on the browser and the bus more than on a core.
# The chaos run goes last and alone, because it restarts RabbitMQ.
#
#   scripts/run_tests.sh NAMEKO [pytest options...]
set -uo pipefail

nameko=$1
shift
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
chaos=tests/integration/test_chaos.py

"$nameko" test tests/integration --ignore "$chaos" "$@" >"$logs/integration" 2>&1 &
integration=$!
"$nameko" test tests/unit tests/e2e "$@" >"$logs/unit-e2e" 2>&1 &
unit_e2e=$!
"$(dirname "$nameko")/python" -m pytest tests/browser -p no:pytest_nameko -p no:cacheprovider -q \
  >"$logs/browser" 2>&1 &
browser=$!
wait "$integration"
integration_rc=$?
wait "$unit_e2e"
unit_e2e_rc=$?
wait "$browser"
browser_rc=$?

echo "== tests/integration (without the chaos run): exit $integration_rc"
cat "$logs/integration"
echo "== tests/unit and tests/e2e: exit $unit_e2e_rc"
cat "$logs/unit-e2e"
echo "== tests/browser (screenshots in test-artifacts/browser/): exit $browser_rc"
cat "$logs/browser"

echo "== the chaos run, alone"
"$nameko" test "$chaos" "$@"
chaos_rc=$?

if [ "$integration_rc" -ne 0 ] || [ "$unit_e2e_rc" -ne 0 ] || [ "$browser_rc" -ne 0 ] ||
  [ "$chaos_rc" -ne 0 ]; then
  echo "make test: FAILED (integration $integration_rc, unit and e2e $unit_e2e_rc," \
    "browser $browser_rc, chaos $chaos_rc)"
  exit 1
fi
echo "make test: all passed"
