"""The Jupyter Server and Voila settings in scripts/jupyter_config/.

They turn Nagle's algorithm off on every kernel websocket, so the small
messages of a slider move (busy, echo, caption, picture, idle) are not held
back waiting for the browser's delayed acknowledgements.
"""

import sys
from pathlib import Path
from unittest import mock

import pytest
from traitlets.config.loader import PyFileConfigLoader

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "scripts" / "jupyter_config"

channels = pytest.importorskip("jupyter_server.services.kernels.connection.channels")


def _load(name):
    return PyFileConfigLoader(name, path=str(CONFIG)).load_config()


class _Handler:
    def __init__(self):
        self.calls = []

    def set_nodelay(self, value):
        self.calls.append(value)


def test_server_connection_turns_nagle_off_before_connecting():
    connection_class = _load("jupyter_server_config.py").ServerApp.kernel_websocket_connection_class
    assert issubclass(connection_class, channels.ZMQChannelsWebsocketConnection)
    connection = connection_class.__new__(connection_class)
    handler = _Handler()
    connection._trait_values["websocket_handler"] = handler
    order = []
    with mock.patch.object(
        channels.ZMQChannelsWebsocketConnection,
        "connect",
        lambda self: order.append(list(handler.calls)) or "connected",
    ):
        assert connection_class.connect(connection) == "connected"
    assert handler.calls == [True]
    assert order == [[True]]  # Nagle was off before the standard connect ran


def test_voila_uses_the_same_connection():
    server = _load("jupyter_server_config.py").ServerApp.kernel_websocket_connection_class
    voila = _load("voila.py").Voila.kernel_websocket_connection_class
    assert voila.__name__ == server.__name__ == "PromptKernelConnection"
    assert voila.__mro__[1] is channels.ZMQChannelsWebsocketConnection


def test_make_venv_and_binder_install_both_files():
    makefile = (ROOT / "Makefile").read_text()
    post_build = (ROOT / "postBuild").read_text()
    for name in ("jupyter_server_config.py", "voila.py"):
        assert f"scripts/jupyter_config/{name}" in makefile
        assert f"scripts/jupyter_config/{name}" in post_build
    assert "$(VENV)/etc/jupyter/" in makefile and "/etc/jupyter/" in post_build


@pytest.mark.skipif(
    Path(sys.prefix).resolve() != (ROOT / ".venv").resolve(),
    reason="runs in the project's own .venv, where make venv installed the settings",
)
def test_the_project_environment_has_the_current_settings():
    installed = Path(sys.prefix) / "etc" / "jupyter"
    for name in ("jupyter_server_config.py", "voila.py"):
        assert (installed / name).read_text() == (CONFIG / name).read_text(), (
            f"{installed / name} is stale: run make venv"
        )
