#!/bin/sh
# Reruns the node sample suite inside the sandbox image (Debian bookworm: Node 18), so the node-tap parser
# is also tested on the version that grades real evaluations.
# Uses the newest local image of each profile: rollout-studio/<profile>:<hash>.
set -eu
cd "$(dirname "$0")"
newest() { docker images "rollout-studio/$1" --format '{{.Repository}}:{{.Tag}}' | head -n 1; }
run() { # image suite command...
  image=$1; suite=$2; shift 2
  docker run --rm --network none -v "$(pwd)/suites/$suite:/src:ro" "$image" bash -c "cp -r /src /tmp/s && cd /tmp/s && $*" 2>&1 || true
}
run "$(newest node)" node node --test --test-reporter=tap > image-node-tap.log
{
  echo "images: $(newest node)"
  run "$(newest node)" node 'echo node $(node --version)'
} > image-versions.txt
