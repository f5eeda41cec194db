#!/usr/bin/env bash
# Everything the tests need on a fresh Debian 12 machine with Node 20: system packages
# (databases, browser), npm packages, Node 22/24 runtimes. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund
bash scripts/install-runtimes.sh
