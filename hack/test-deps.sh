#!/usr/bin/env bash
# Installs what the tests need besides Go: Debian's prometheus package (prometheus and
# promtool, run by the tests as plain processes on 127.0.0.1). Skips what is installed.
set -euo pipefail
if command -v prometheus >/dev/null && command -v promtool >/dev/null; then
  exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "test-deps: install Debian's prometheus package (apt-get install --no-install-recommends prometheus)" >&2; exit 1; }
  sudo=sudo
fi
echo "installing Debian's prometheus package ..." >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends prometheus >/dev/null
# Where systemd runs, the package starts a service on :9090; the tests start their own.
$sudo systemctl stop prometheus 2>/dev/null || true
