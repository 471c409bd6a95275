#!/usr/bin/env bash
# `make test`'s test run: two shards side by side, then the chaos run alone.
#
# `nameko test` runs every service of a test inside its own Python process, so one
# shard keeps about one core busy; two shards use this machine's two. The chaos
# run goes last and alone, because it restarts RabbitMQ.
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
wait "$integration"
integration_rc=$?
wait "$unit_e2e"
unit_e2e_rc=$?

echo "== tests/integration (without the chaos run): exit $integration_rc"
cat "$logs/integration"
echo "== tests/unit and tests/e2e: exit $unit_e2e_rc"
cat "$logs/unit-e2e"

echo "== the chaos run, alone"
"$nameko" test "$chaos" "$@"
chaos_rc=$?

if [ "$integration_rc" -ne 0 ] || [ "$unit_e2e_rc" -ne 0 ] || [ "$chaos_rc" -ne 0 ]; then
  echo "make test: FAILED (integration $integration_rc, unit and e2e $unit_e2e_rc, chaos $chaos_rc)"
  exit 1
fi
echo "make test: all passed"
