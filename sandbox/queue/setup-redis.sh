#!/usr/bin/env bash
# Installs Redis (Debian's redis-server) for the job queue and its tests; does nothing when it is there.
# The tests start their own redis-server on a loopback port; the system service is not needed and stays off.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1; then
  echo "redis-server: $(redis-server --version | head -n1)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "setup-redis.sh: redis-server is missing; run as root (sudo bash sandbox/queue/setup-redis.sh)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends redis-server
echo "redis-server: $(redis-server --version | head -n1)"
