"""SWE-rebench-V2's own log parsers, run for Rollout Studio's grader from the user's checkout of its harness.

    ROLLOUT_SWE_REBENCH_V2=CHECKOUT python3 read_swe_rebench_v2_logs.py

CHECKOUT is a clone of SWE-rebench/SWE-rebench-V2. Its parsers are imported as its scripts/eval.py imports them
(the checkout and its lib folder on the path, then `from agent import log_parsers`), and picked by name as it picks
them (`NAME_TO_PARSER`, else the module's function of that name). Answers on standard output, one JSON line each:
first what it is,
    {"names": [...], "harness": {"version": null, "source_sha256": "..."}}
(every name a row may give; a digest of the harness's Python files under lib/), then, per request line
    {"parser": "...", "logs": ["...", ...]}
the readings {"readings": [...]}: per log {"tests": [[name, status], ...]} in the order the parser wrote them (a
later name overwrites an earlier one in its dict), or {"error": "..."} where the parser raised; or {"unknown": "..."}
where the harness has no parser of that name. It ends at the end of its input, and exits 3 at once when no checkout
is named or its parsers cannot be imported.
"""

import hashlib
import json
import os
import sys
from pathlib import Path

HARNESS_MISSING = 3


def import_parsers():
    root = os.environ.get("ROLLOUT_SWE_REBENCH_V2")
    if not root:
        print("ROLLOUT_SWE_REBENCH_V2 names no checkout of SWE-rebench/SWE-rebench-V2", file=sys.stderr)
        sys.exit(HARNESS_MISSING)
    root = Path(root).resolve()
    sys.path.insert(0, str(root))
    sys.path.insert(0, str(root / "lib"))
    try:
        from agent import log_parsers
    except Exception as error:  # noqa: BLE001  (whatever importing the checkout raises)
        print(f"cannot import SWE-rebench-V2's parsers from {root} ({type(error).__name__}: {error})", file=sys.stderr)
        sys.exit(HARNESS_MISSING)
    return root, log_parsers


def identity(root):
    # Parsers are fixed between commits of the checkout, so a result read by one is known by its code.
    digest = hashlib.sha256()
    lib = root / "lib"
    for path in sorted(lib.rglob("*.py")):
        digest.update(f"{path.relative_to(lib).as_posix()}\0".encode())
        digest.update(path.read_bytes())
    return {"version": None, "source_sha256": digest.hexdigest()}


def names(log_parsers):
    table = getattr(log_parsers, "NAME_TO_PARSER", {})
    functions = [name for name in dir(log_parsers) if name.startswith("parse") and callable(getattr(log_parsers, name))]
    return sorted(set(table) | set(functions))


def parser_named(log_parsers, name):
    parser = getattr(log_parsers, "NAME_TO_PARSER", {}).get(name)
    return parser if parser is not None else getattr(log_parsers, name, None)


def reading(parser, log):
    try:
        statuses = parser(log)
        return {"tests": [[str(name), status if isinstance(status, str) else repr(status)] for name, status in statuses.items()]}
    except Exception as error:  # noqa: BLE001  (whatever the harness's parser raises)
        return {"error": f"{type(error).__name__}: {error}"}


def answer(log_parsers, request):
    parser = parser_named(log_parsers, request["parser"])
    if parser is None:
        return {"unknown": f"no parser named {request['parser']}"}
    return {"readings": [reading(parser, log) for log in request["logs"]]}


def main():
    # Parsers may print as they read: the answers get standard output to themselves, the rest goes to standard error.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    root, log_parsers = import_parsers()
    print(json.dumps({"names": names(log_parsers), "harness": identity(root)}), file=answers, flush=True)
    for line in sys.stdin.buffer:
        print(json.dumps(answer(log_parsers, json.loads(line))), file=answers, flush=True)


if __name__ == "__main__":
    main()
