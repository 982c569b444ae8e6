#!/usr/bin/env bash
# Writes a Debian root filesystem as a tar stream on stdout, built offline-friendly from Debian packages
# with mmdebstrap (no image registry needed). Usage: build-rootfs.sh SUITE PACKAGE[,PACKAGE…]
# The image runs commands as the unprivileged user `agent` (uid 1000) in /work.
set -euo pipefail
suite=$1
packages=$2
exec mmdebstrap --quiet --variant=apt --include="$packages" \
  --customize-hook='chroot "$1" useradd --create-home --uid 1000 --shell /bin/bash agent' \
  --customize-hook='chroot "$1" install -d -o agent -g agent /work' \
  --customize-hook='rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/*' \
  "$suite" -
