#!/bin/sh
# Reruns the sample suites inside the sandbox images (Debian bookworm: pytest 7, Python 3.11, Node 18,
# Go 1.19), so the parsers are also tested on the versions that grade real evaluations.
# Uses the newest local image of each profile: rollout-studio/<profile>:<hash>.
set -eu
cd "$(dirname "$0")"
newest() { docker images "rollout-studio/$1" --format '{{.Repository}}:{{.Tag}}' | head -n 1; }
run() { # image suite command...
  image=$1; suite=$2; shift 2
  docker run --rm --network none -v "$(pwd)/suites/$suite:/src:ro" "$image" bash -c "cp -r /src /tmp/s && cd /tmp/s && $*" 2>&1 || true
}
run "$(newest python)" pytest python3 -m pytest -rA -p no:cacheprovider test_sample.py > image-pytest.log
run "$(newest python)" unittest python3 -m unittest -v test_sample > image-unittest.log
run "$(newest node)" node node --test --test-reporter=tap > image-node-tap.log
run "$(newest go)" go 'GOCACHE=/tmp/gocache go test -json ./...' > image-go-test.json.log
{
  echo "images: $(newest python) $(newest node) $(newest go)"
  run "$(newest python)" pytest 'python3 --version; python3 -m pytest --version'
  run "$(newest node)" node 'echo node $(node --version)'
  run "$(newest go)" go 'go version'
} > image-versions.txt
