"""A Ctrl-C that is never lost.

Python turns SIGINT into a ``KeyboardInterrupt`` raised wherever the main thread
is at that moment. When that is inside a finalizer (a ``__del__`` or a weakref
callback that the garbage collector runs at any bytecode), the exception is
swallowed, reported as "Exception ignored", and the command carries on (a search
of 500 trials would run to its end). The command line therefore also records
the signal (:func:`catch_interrupts`), and long loops
call :func:`raise_if_interrupted` between their steps (the search, before each
fold of each trial), so a lost interrupt is raised again within one step.
"""

from __future__ import annotations

import signal
import threading

_interrupted = threading.Event()


def _on_sigint(signum: int, frame: object) -> None:
    _interrupted.set()
    raise KeyboardInterrupt


def catch_interrupts() -> None:
    """Record every SIGINT as well as raising it (the command line calls this).

    Only where Python itself would raise it: a process started with SIGINT
    ignored (a shell's background job, ``nohup``) keeps ignoring it, as Python does."""
    if (
        threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    ):
        signal.signal(signal.SIGINT, _on_sigint)


def raise_if_interrupted() -> None:
    """Raise ``KeyboardInterrupt`` if a SIGINT came and was swallowed since."""
    if _interrupted.is_set():
        raise KeyboardInterrupt
