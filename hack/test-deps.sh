#!/usr/bin/env bash
# Installs what the tests need besides Go: Debian's prometheus package (prometheus and
# promtool, run by the tests as plain processes on 127.0.0.1) and Debian's
# prometheus-alertmanager package (the alerting tests post to a real Alertmanager).
# Skips what is installed.
set -euo pipefail
pkgs=()
if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
  pkgs+=(prometheus)
fi
if ! command -v prometheus-alertmanager >/dev/null; then
  pkgs+=(prometheus-alertmanager)
fi
if [ ${#pkgs[@]} -eq 0 ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "test-deps: install Debian's ${pkgs[*]} package(s) (apt-get install --no-install-recommends ${pkgs[*]})" >&2; exit 1; }
  sudo=sudo
fi
echo "installing Debian's ${pkgs[*]} package(s) ..." >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
# Where systemd runs, the packages start services on :9090 and :9093; the tests start their own.
$sudo systemctl stop prometheus 2>/dev/null || true
$sudo systemctl stop prometheus-alertmanager 2>/dev/null || true
