#!/usr/bin/env bash
# Installs an image registry (Debian's docker-registry, the CNCF distribution registry) for the tests of image
# pulls and the docker-build route; does nothing when it is there. The tests start their own registry on a
# loopback port (test/support/localRegistry.ts); the system service is not needed and stays off.
set -euo pipefail

if command -v docker-registry >/dev/null 2>&1; then
  echo "docker-registry: $(dpkg-query -W -f='${Version}' docker-registry 2>/dev/null || echo present)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "setup-registry.sh: docker-registry is missing; run as root (sudo bash sandbox/registry/setup-registry.sh)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends docker-registry
echo "docker-registry: $(dpkg-query -W -f='${Version}' docker-registry)"
