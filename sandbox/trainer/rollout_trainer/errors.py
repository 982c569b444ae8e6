"""Errors a user can act on. The CLI turns each into one JSON `error` line and a distinct exit code."""

EXIT_CODES = {"usage": 2, "bad_data": 3, "no_gpu": 4, "oom": 5, "model": 6}


class TrainerError(Exception):
    """A failure with a known cause; `kind` is one of EXIT_CODES and names it for the driver."""

    def __init__(self, kind: str, message: str):
        if kind not in EXIT_CODES:
            raise ValueError(f"unknown error kind {kind!r}")
        super().__init__(message)
        self.kind = kind
        self.message = message


def bad_data(source: str, message: str) -> TrainerError:
    """A dataset problem; `source` is `FILE:LINE` so the user can open the offending line."""
    return TrainerError("bad_data", f"{source}: {message}")
