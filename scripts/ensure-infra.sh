#!/usr/bin/env bash
# Make sure the local RabbitMQ (with its management plugin) is up, and with
# `--postgres` the local PostgreSQL too; start whichever is installed but stopped.
set -uo pipefail

want_pg=0
[ "${1:-}" = "--postgres" ] && want_pg=1

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local seconds=$1 what=$2; shift 2
  for _ in $(seq "$seconds"); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 1
  done
  echo "ensure-infra: $what did not come up within ${seconds}s" >&2
  return 1
}

amqp_port_open() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }

if ! amqp_port_open; then
  if ! command -v rabbitmq-server >/dev/null 2>&1; then
    echo "ensure-infra: RabbitMQ is not installed and nothing listens on 127.0.0.1:5672." >&2
    echo "              Install it (apt-get install rabbitmq-server) or point AMQP_URI at a broker." >&2
    exit 1
  fi
  echo "ensure-infra: starting RabbitMQ"
  rabbitmq-server -detached >/dev/null 2>&1 || true
  wait_for 90 "RabbitMQ" amqp_port_open || exit 1
fi

if command -v rabbitmq-plugins >/dev/null 2>&1; then
  if ! rabbitmq-plugins list -e -m 2>/dev/null | grep -qx rabbitmq_management; then
    echo "ensure-infra: enabling rabbitmq_management"
    rabbitmq-plugins enable rabbitmq_management >/dev/null || exit 1
  fi
  wait_for 60 "the RabbitMQ management API" \
    curl -sf -u guest:guest http://127.0.0.1:15672/api/overview || exit 1
fi

if [ $want_pg = 1 ]; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    if [ -d /etc/postgresql ] && command -v pg_ctlcluster >/dev/null 2>&1; then
      echo "ensure-infra: starting PostgreSQL"
      version=$(ls /etc/postgresql | sort -V | tail -1)
      pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
      wait_for 60 "PostgreSQL" pg_isready -q -h 127.0.0.1 -p 5432 || exit 1
    else
      echo "ensure-infra: PostgreSQL is not installed; PostgreSQL tests will be skipped" >&2
    fi
  fi
fi
exit 0
