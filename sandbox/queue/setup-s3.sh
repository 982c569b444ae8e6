#!/usr/bin/env bash
# Installs a real S3-compatible store (Ceph's RADOS Gateway plus one monitor and one OSD) for the integration tests;
# does nothing when it is there. MinIO is not packaged in Debian; radosgw is. sandbox/queue/s3-server.sh runs it.
# The packages' systemd units are not used: s3-server.sh starts its own daemons in a throwaway folder.
set -euo pipefail

tools=(ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool uuidgen curl)
missing() { for t in "${tools[@]}"; do command -v "$t" >/dev/null 2>&1 || { echo "$t"; return 0; }; done; return 1; }

if m=$(missing); then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup-s3.sh: $m is missing; run as root (sudo bash sandbox/queue/setup-s3.sh)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends ceph-mon ceph-osd ceph-common radosgw uuid-runtime curl
  if m=$(missing); then
    echo "setup-s3.sh: installed the packages, but $m is still missing" >&2
    exit 1
  fi
fi
echo "ceph-mon: $(ceph-mon --version)"
echo "ceph-osd: $(ceph-osd --version)"
echo "radosgw: $(radosgw --version)"
