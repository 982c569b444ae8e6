"""Multi-SWE-bench's own log parsers, run for Rollout Studio's grader in the harness the user installed.

    python3 read_mswebench_logs.py

imports the harness once and answers on standard output, one JSON line each: first what it is,
    {"names": [...], "harness": {"version": "...", "source_sha256": "..."}}
(every name it registers a parser under; its release and a digest of its Python files), then, per request line
    {"pull_request": {...}, "logs": ["...", ...]}
the readings {"readings": [...]}: per log, {"passed": [...], "failed": [...], "skipped": [...]} or {"error": "..."};
or {"unregistered": "..."} where the harness has no parser for the pull request. The pull request carries the
fields the harness picks a parser by (org, repo, number, number_interval, tag). It ends at the end of its input,
and exits 3 at once when the harness cannot be imported.
"""

import hashlib
import json
import os
import sys
from importlib import metadata
from pathlib import Path
from types import SimpleNamespace

HARNESS_MISSING = 3


def import_harness():
    try:
        import multi_swe_bench
        import multi_swe_bench.harness.repos  # noqa: F401  (importing it registers every parser)
        from multi_swe_bench.harness.image import Config
        from multi_swe_bench.harness.instance import Instance
    except ImportError as error:
        print(f"cannot import Multi-SWE-bench's harness ({error})", file=sys.stderr)
        sys.exit(HARNESS_MISSING)
    return multi_swe_bench, Instance, Config


def identity(package):
    # Parsers are added and fixed between releases, so a result read by one is known by its code, not its release.
    digest = hashlib.sha256()
    root = Path(package.__file__).parent
    for path in sorted(root.rglob("*.py")):
        digest.update(f"{path.relative_to(root).as_posix()}\0".encode())
        digest.update(path.read_bytes())
    try:
        version = metadata.version("multi-swe-bench")
    except metadata.PackageNotFoundError:
        version = None
    return {"version": version, "source_sha256": digest.hexdigest()}


def reading(instance, log):
    # The harness fails an instance whose parser raises (on a test both passed and failed, for one) or returns
    # something other than its TestResult (whose sets its report reads): then there is no result.
    try:
        result = instance.parse_log(log)
        sets = {key: sorted(getattr(result, f"{key}_tests")) for key in ("passed", "failed", "skipped")}
    except Exception as error:  # noqa: BLE001  (whatever the harness's parser raises)
        return {"error": f"{type(error).__name__}: {error}"}
    return sets


def answer(instance_class, config, request):
    try:
        instance = instance_class.create(SimpleNamespace(**request["pull_request"]), config)
    except ValueError as error:
        return {"unregistered": str(error)}
    return {"readings": [reading(instance, log) for log in request["logs"]]}


def main():
    # Some of the harness's parsers print as they read: the answers get standard output to themselves, and whatever
    # else writes there (print, a C library) writes to standard error.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    package, instance_class, config_class = import_harness()
    config = config_class(need_clone=False, global_env=None, clear_env=False)
    first = {"names": sorted(instance_class._registry), "harness": identity(package)}
    print(json.dumps(first), file=answers, flush=True)
    for line in sys.stdin.buffer:
        print(json.dumps(answer(instance_class, config, json.loads(line))), file=answers, flush=True)


if __name__ == "__main__":
    main()
