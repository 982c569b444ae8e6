#!/usr/bin/env bash
# Validates bundled example tasks in real Docker containers, run as they will be graded: no network,
# user `agent`, the repository copied to /work/repo, patches applied there with `git apply`.
#
#   base + test.patch           every FAIL_TO_PASS test fails, every PASS_TO_PASS test passes
#   base + gold + test.patch    every listed test passes, and the listed ids are exactly the ids the
#                               runner reports (pytest -rA summary, TAP `ok N - name`, go -json "Test")
#   base + naive + test.patch   (only where naive.patch exists) at least one PASS_TO_PASS test fails
#
# Usage: tasks/examples/validate-examples.sh [TASK_DIR ...]   (default: every task folder beside this script)
# Env:   PYTHON_IMAGE, NODE_IMAGE, GO_IMAGE  images per profile (default scratch/<profile>:1); each needs
#        git, a default user that can create /work/repo, and the profile's toolchain (the product's
#        rollout-studio/<profile> images and the scratch images in tasks/examples/README.md both do).
#        LOG_DIR  keeps each run's output as LOG_DIR/<id>.<mode>.log (default: a temporary folder)
# Exit:  0 when every task validates, 1 when one does not, 2 on bad usage or a missing tool.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
for tool in docker node; do
  command -v "$tool" >/dev/null || { echo "validate-examples: '$tool' is not on PATH" >&2; exit 2; }
done
log_dir=${LOG_DIR:-$(mktemp -d)}
mkdir -p "$log_dir"

json_field() { node -p 'require(process.argv[1])[process.argv[2]]' "$1" "$2"; }

image_for_profile() {
  case "$1" in
    python) echo "${PYTHON_IMAGE:-scratch/python:1}" ;;
    node) echo "${NODE_IMAGE:-scratch/node:1}" ;;
    go) echo "${GO_IMAGE:-scratch/go:1}" ;;
    *) return 1 ;;
  esac
}

# run_mode TASK_DIR MODE PATCH... : runs the task's test command after the patches; output to the log.
run_mode() {
  local task_dir=$1 mode=$2; shift 2
  local id image test_command
  id=$(basename "$task_dir")
  image=$(image_for_profile "$(json_field "$task_dir/task.json" profile)") || {
    echo "$task_dir/task.json: field profile: unknown profile" >&2; return 2; }
  test_command=$(json_field "$task_dir/task.json" test_command)
  # Exit code 90 marks a patch that does not apply, so it is never mistaken for failing tests.
  docker run --rm --network none -v "$task_dir:/task:ro" "$image" bash -c '
    mkdir -p /work/repo && cp -R /task/repo/. /work/repo/ && cd /work/repo || exit 91
    for patch in "${@:2}"; do git apply --whitespace=nowarn "/task/$patch" || { echo "patch $patch does not apply"; exit 90; }; done
    eval "$1"' validate "$test_command" "$@" >"$log_dir/$id.$mode.log" 2>&1
  local status=$?
  if [ "$status" -eq 90 ] || [ "$status" -eq 91 ] || [ "$status" -eq 125 ]; then
    echo "$id $mode: infrastructure error (exit $status), see $log_dir/$id.$mode.log" >&2
    return 2
  fi
  node "$here/check-run.mjs" "$task_dir/task.json" "$mode" "$log_dir/$id.$mode.log"
}

if [ $# -eq 0 ]; then
  set -- $(find "$here" -mindepth 2 -maxdepth 2 -name task.json -printf '%h\n' | sort)
fi

failed=0
for task_dir in "$@"; do
  task_dir=$(cd "$task_dir" && pwd)
  run_mode "$task_dir" base test.patch || failed=1
  run_mode "$task_dir" gold gold.patch test.patch || failed=1
  if [ -f "$task_dir/naive.patch" ]; then
    run_mode "$task_dir" naive naive.patch test.patch || failed=1
  fi
done
echo "logs: $log_dir"
exit "$failed"
