#!/bin/sh
# Regenerates the real logs the tests of Rollout Studio's own parsers read (node --test TAP and JUnit XML;
# the harness's parsers are checked against the harness itself in test/fixtures/grading-parity).
# Needs python3 with pytest, and node.
set -u
cd "$(dirname "$0")"
here=$(pwd)
(cd suites/pytest && python3 -m pytest -rA -p no:cacheprovider --junitxml="$here/junit-pytest.xml" test_sample.py) > /dev/null 2>&1
(cd suites/node && node --test --test-reporter=tap) > node-tap.log 2>&1
# Record the tool versions beside the logs.
{
  python3 -m pytest --version 2>&1
  python3 --version
  echo "node $(node --version)"
} > versions.txt
exit 0
