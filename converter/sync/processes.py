"""Whether a process still runs: the watcher lock, a live converter's in-flight batch, doctor."""

from __future__ import annotations


def pid_alive(pid: int) -> bool:
    """Whether a process with this ID runs on this machine (on Windows as on Linux and macOS:
    ``os.kill(pid, 0)`` is no liveness check on Windows, so psutil asks the system). A zombie, a
    process that exited and was not yet reaped, is not alive."""
    import psutil  # only the watcher lock and in-flight batches need it

    if pid <= 0:
        return False
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True  # it exists; it is another user's
