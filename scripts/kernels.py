"""Kernels for the project's own tools and tests, on Unix socket files instead of TCP ports.

With TCP, the kernel manager asks the system for five free ports, lets them
go, and the new kernel binds them a moment later. Any process that opens a
connection in that moment can be handed one of them (outgoing connections
draw from the same range), and the kernel then cannot bind it: it dies, or
hangs with its other sockets open, and the test waiting for it fails after
60 seconds. With two processes each starting kernels two at a time, 3 of
1,950 starts failed this way on the project's machine; in CI it cost a
whole notebook (nbval: "Kernel didn't respond in 60 seconds").

Socket files have no such window: each kernel gets names of its own. They
exist on Linux and macOS; elsewhere (Windows) the managers keep TCP.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager, KernelManager
from jupyter_core.paths import jupyter_runtime_dir

# A socket file's path must fit in 108 bytes on Linux and 104 on macOS; the
# kernel adds "-ipc-1" ... "-ipc-5" to the connection file's name.
LONGEST_SOCKET_PATH = 100


def socket_file_settings() -> dict:
    """Keyword arguments that put a new kernel on socket files, or {} where they cannot be.

    The connection file goes in Jupyter's runtime folder (private to the
    user) under a short unique name; the kernel's socket files are named
    after it and are removed with it when the kernel shuts down.
    """
    if os.name != "posix":
        return {}
    runtime = Path(jupyter_runtime_dir())
    connection_file = runtime / f"kernel-{uuid.uuid4().hex[:12]}.json"
    if len(str(connection_file.with_suffix(""))) + len("-ipc-5") > LONGEST_SOCKET_PATH:
        return {}
    try:
        runtime.mkdir(parents=True, exist_ok=True)
    except OSError:  # no writable home (some CI containers): TCP, as before
        return {}
    return {"transport": "ipc", "connection_file": str(connection_file)}


class _OnSocketFiles:
    """Start the kernel on socket files unless the caller chose a transport or file."""

    def __init__(self, **kwargs):
        if "transport" not in kwargs and "connection_file" not in kwargs:
            kwargs.update(socket_file_settings())
        super().__init__(**kwargs)


class IpcKernelManager(_OnSocketFiles, KernelManager):
    """jupyter_client's KernelManager, on socket files (nbval starts its kernels with it)."""


class AsyncIpcKernelManager(_OnSocketFiles, AsyncKernelManager):
    """jupyter_client's AsyncKernelManager, on socket files (for nbclient)."""


def use_for_nbval() -> None:
    """Make nbval start its kernels with IpcKernelManager (nothing to do without nbval).

    nbval builds its kernel manager from the name ``KernelManager`` in its
    module ``nbval.kernel`` and takes no setting for the transport, so the
    name is replaced there. tests/project/test_kernels.py checks that a
    kernel nbval starts really is on socket files.
    """
    try:
        import nbval.kernel
    except ImportError:
        return
    nbval.kernel.KernelManager = IpcKernelManager
