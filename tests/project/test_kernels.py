"""The project's tools and tests start kernels on socket files (scripts/kernels.py)."""

import json
import os
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import kernels  # noqa: E402
import notebooks as nbtools  # noqa: E402

posix_only = pytest.mark.skipif(os.name != "posix", reason="socket files are Linux and macOS only")


@posix_only
def test_nbval_starts_its_kernels_on_socket_files():
    """The root conftest.py hands nbval IpcKernelManager; a kernel it starts answers on files."""
    import nbval.kernel

    assert nbval.kernel.KernelManager is kernels.IpcKernelManager
    kernel = nbval.kernel.RunningKernel("python3", cwd=str(ROOT / "notebooks"))
    try:
        info = kernel.km.get_connection_info()
        connection_file = Path(kernel.km.connection_file)
        assert info["transport"] == "ipc"
        sockets = [Path(f"{info['ip']}-{info[name]}") for name in ("shell_port", "iopub_port")]
        assert all(path.is_socket() for path in sockets), sockets
        reply = kernel.kc.execute_interactive("x = 6 * 7", timeout=30)
        assert reply["content"]["status"] == "ok"
    finally:
        kernel.stop()
    # Shutting the kernel down removes its files.
    assert not any(path.exists() for path in sockets)
    assert not connection_file.exists()


@posix_only
def test_notebook_runs_use_socket_files(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_code_cell("print(40 + 2)"))
    client = nbtools._client(notebook, tmp_path / "probe.ipynb")
    with client.setup_kernel():
        assert client.km.transport == "ipc"
        connection = json.loads(Path(client.km.connection_file).read_text())
        assert connection["transport"] == "ipc"
        client.execute_cell(notebook.cells[0], 0)
    assert notebook.cells[0].outputs[0]["text"] == "42\n"


def test_too_long_a_folder_keeps_tcp(monkeypatch, tmp_path):
    """A socket file's path has a length limit; past it the manager keeps TCP ports."""
    monkeypatch.setattr(kernels, "jupyter_runtime_dir", lambda: str(tmp_path / ("x" * 120)))
    assert kernels.socket_file_settings() == {}
    assert kernels.IpcKernelManager(kernel_name="python3").transport == "tcp"


def test_a_folder_that_cannot_be_made_keeps_tcp(monkeypatch):
    with tempfile.TemporaryDirectory(prefix="k-") as folder:  # a short path: not too long
        blocked = Path(folder) / "file"
        blocked.write_text("")
        monkeypatch.setattr(kernels, "jupyter_runtime_dir", lambda: str(blocked / "runtime"))
        assert kernels.socket_file_settings() == {}


@posix_only
def test_a_short_folder_gets_socket_files(monkeypatch):
    with tempfile.TemporaryDirectory(prefix="k-") as folder:
        runtime = Path(folder) / "runtime"
        monkeypatch.setattr(kernels, "jupyter_runtime_dir", lambda: str(runtime))
        settings = kernels.socket_file_settings()
        assert settings["transport"] == "ipc"
        assert Path(settings["connection_file"]).parent == runtime and runtime.is_dir()
        manager = kernels.IpcKernelManager(kernel_name="python3")
        assert manager.transport == "ipc"
        # jupyter_client names the socket files after the connection file.
        assert manager.ip == os.path.splitext(manager.connection_file)[0] + "-ipc"
        # A caller's own choice wins.
        assert kernels.IpcKernelManager(kernel_name="python3", transport="tcp").transport == "tcp"
