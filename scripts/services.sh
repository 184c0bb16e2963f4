#!/usr/bin/env bash
# Starts the local PostgreSQL and Redis when they are installed but stopped. Idempotent: does
# nothing when they already answer. The test suite needs both (integration tests, CI).
set -euo pipefail

wait_for() {  # wait_for <what> <command...>: up to 30 s
    local what="$1"
    shift
    for _ in $(seq 1 60); do
        if "$@" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.5
    done
    echo "services: $what did not come up within 30 s" >&2
    return 1
}

if command -v pg_isready >/dev/null 2>&1; then
    if ! pg_isready -h 127.0.0.1 -q; then
        echo "services: starting PostgreSQL" >&2
        for version in $(ls /etc/postgresql 2>/dev/null); do
            pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
        done
        wait_for PostgreSQL pg_isready -h 127.0.0.1 -q
    fi
else
    echo "services: PostgreSQL is not installed here; tests need DATABASE_URL to reach one" >&2
fi

if command -v redis-cli >/dev/null 2>&1; then
    if ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
        echo "services: starting Redis" >&2
        redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
        wait_for Redis redis-cli -h 127.0.0.1 ping
    fi
else
    echo "services: Redis is not installed here; the Redis integration test will fail" >&2
fi
