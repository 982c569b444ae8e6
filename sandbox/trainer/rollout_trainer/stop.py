"""Stop requests (SIGINT, SIGTERM) recorded from the first moment of a long-running command.

Installed before the heavy imports: a signal that arrives while torch or a model loads would
otherwise raise KeyboardInterrupt inside library code, which can swallow it and carry on. The
first signal only sets `requested`; training stops at the next step boundary with a checkpoint and
the server shuts down. A second signal stops at once.
"""

import signal
import threading

requested = threading.Event()
FIRST_SIGNAL = signal.SIGINT


def _on_signal(_signum, _frame):
    if requested.is_set():
        raise KeyboardInterrupt
    requested.set()


def install() -> None:
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
