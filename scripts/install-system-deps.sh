#!/usr/bin/env bash
# Installs the system packages the tests need, on Debian 12 as root; safe to run again.
#   PostgreSQL: the test harness uses the highest /usr/lib/postgresql/*/bin.
#   MariaDB:    mariadbd (or mysqld) and mariadb-install-db.
#   wrk:        the benches' load generator (it saturates a pinned app from one core).
#   Redis:      redis-server, started per test on a free port (test/helpers/redis.js).
#   Prometheus: prometheus and promtool (2.42), started per test on a free port
#               (test/helpers/prometheus.js); the package's own service is never used.
#   OpenSSL:    the openssl command makes the certificates of the OTLP over TLS tests.
#   Chromium:   the browser tests of the HTML report and the charts page (playwright-core
#               drives /usr/bin/chromium; the e2e setup needs it too).
set -euo pipefail

missing=()
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  missing+=(postgresql)
fi
if ! command -v mariadbd >/dev/null 2>&1 && ! command -v mysqld >/dev/null 2>&1 \
  && [ ! -x /usr/sbin/mariadbd ] && [ ! -x /usr/sbin/mysqld ]; then
  missing+=(mariadb-server)
fi
if ! command -v wrk >/dev/null 2>&1; then
  missing+=(wrk)
fi
if ! command -v redis-server >/dev/null 2>&1 && [ ! -x /usr/bin/redis-server ]; then
  missing+=(redis-server)
fi

if [ ! -x /usr/bin/prometheus ] || [ ! -x /usr/bin/promtool ]; then
  missing+=(prometheus)
fi

if ! command -v openssl >/dev/null 2>&1; then
  missing+=(openssl)
fi

if [ ! -x /usr/bin/chromium ]; then
  missing+=(chromium)
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-system-deps: PostgreSQL, MariaDB, wrk, Redis, Prometheus, OpenSSL and Chromium are present."
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-system-deps: ${missing[*]} missing; run this script as root to install them." >&2
  exit 1
fi

echo "install-system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# The packages' own services are not wanted (tests start private servers); in containers
# without an init system policy-rc.d already stops them from starting.
apt-get install -y -q --no-install-recommends "${missing[@]}"
# Debian's prometheus package enables a service on :9090; the tests start
# their own servers, so it is stopped where systemd runs.
if [[ " ${missing[*]} " == *" prometheus "* ]] && [ -d /run/systemd/system ]; then
  systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
