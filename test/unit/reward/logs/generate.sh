#!/bin/sh
# Regenerates the real framework logs the parser tests read, by running the sample suites in suites/.
# Needs python3 with pytest, node, go, and (for jest) `npm i jest` somewhere: JEST_BIN=path/to/jest.
set -u
cd "$(dirname "$0")"
here=$(pwd)
(cd suites/pytest && python3 -m pytest -rA -p no:cacheprovider test_sample.py) > pytest.log 2>&1
(cd suites/pytest && python3 -m pytest -rA -p no:cacheprovider --junitxml="$here/junit-pytest.xml" test_sample.py) > /dev/null 2>&1
(cd suites/unittest && python3 -m unittest -v test_sample) > unittest.log 2>&1
(cd suites/node && node --test --test-reporter=tap) > node-tap.log 2>&1
(cd suites/go && GOFLAGS=-mod=mod GOCACHE=/tmp/rollout-go-cache go test -json ./...) > go-test.json.log 2>&1
if [ -n "${JEST_BIN:-}" ]; then
  (cd suites/jest && "$JEST_BIN" --json --rootDir . 2>/dev/null) > jest.json
fi
# Record the tool versions beside the logs.
{
  python3 -m pytest --version 2>&1
  python3 --version
  echo "node $(node --version)"
  go version
  [ -n "${JEST_BIN:-}" ] && echo "jest $("$JEST_BIN" --version)"
} > versions.txt
exit 0
