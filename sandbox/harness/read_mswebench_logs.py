"""Multi-SWE-bench's own log parsers, run for Rollout Studio's grader in the harness the user installed.

    python3 read_mswebench_logs.py registered
        prints {"names": [...]}: every name the harness registers a parser under
    python3 read_mswebench_logs.py parse  < {"pull_request": {...}, "logs": ["...", ...]}
        prints {"readings": [...]}: per log, {"passed": [...], "failed": [...], "skipped": [...]} or {"error": "..."}

The pull request carries the fields the harness picks a parser by (org, repo, number, number_interval, tag).
Exits 3 when the harness cannot be imported, 4 when it registers no parser for the pull request.
"""

import contextlib
import json
import sys
from types import SimpleNamespace

HARNESS_MISSING = 3
NOT_REGISTERED = 4


def import_harness():
    try:
        import multi_swe_bench.harness.repos  # noqa: F401  (importing it registers every parser)
        from multi_swe_bench.harness.image import Config
        from multi_swe_bench.harness.instance import Instance
    except ImportError as error:
        print(f"cannot import Multi-SWE-bench's harness ({error})", file=sys.stderr)
        sys.exit(HARNESS_MISSING)
    return Instance, Config


def registered():
    instance_class, _ = import_harness()
    return {"names": sorted(instance_class._registry)}


def reading(instance, log):
    # The harness fails an instance whose parser raises (on a test both passed and failed, for one) or returns
    # something other than its TestResult (whose sets its report reads): then there is no result.
    try:
        result = instance.parse_log(log)
        sets = {key: sorted(getattr(result, f"{key}_tests")) for key in ("passed", "failed", "skipped")}
    except Exception as error:  # noqa: BLE001  (whatever the harness's parser raises)
        return {"error": f"{type(error).__name__}: {error}"}
    return sets


def parse(request):
    instance_class, config_class = import_harness()
    fields = {"number_interval": "", "tag": "", **request["pull_request"]}
    config = config_class(need_clone=False, global_env=None, clear_env=False)
    try:
        instance = instance_class.create(SimpleNamespace(**fields), config)
    except ValueError as error:
        print(str(error), file=sys.stderr)
        sys.exit(NOT_REGISTERED)
    return {"readings": [reading(instance, log) for log in request["logs"]]}


def main():
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command not in ("registered", "parse"):
        sys.exit(f"usage: {sys.argv[0]} registered | parse < request.json")
    # Some of the harness's parsers print as they read: only the answer goes to standard output.
    with contextlib.redirect_stdout(sys.stderr):
        answer = registered() if command == "registered" else parse(json.load(sys.stdin))
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
