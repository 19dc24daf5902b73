# Jupyter Server settings for the collection (`make venv` copies this file and
# voila.py into .venv/etc/jupyter/, postBuild into the Binder environment).
#
# Kernel messages reach the browser without waiting. Jupyter Server writes
# every kernel message to the browser as its own websocket frame, and tornado
# leaves Nagle's algorithm on for websockets: a small frame written while the
# previous one is still unacknowledged waits for that acknowledgement, which
# browsers delay by up to 40 ms. One slider move brings back five or six
# messages (busy, the echo of the new value, control and caption updates, the
# picture, idle), so the picture often waited behind that delay. With
# TCP_NODELAY on each kernel websocket, the picture's bytes reached the page
# 36-42 ms after the key press instead of 52 ms (median of 66 slider moves of
# notebooks 02 and 04 in headless Chromium on the 2-core test machine).

try:
    from jupyter_server.services.kernels.connection.channels import (
        ZMQChannelsWebsocketConnection,
    )
except ImportError:  # another Jupyter Server layout: keep its defaults
    ZMQChannelsWebsocketConnection = None

if ZMQChannelsWebsocketConnection is not None:

    class PromptKernelConnection(ZMQChannelsWebsocketConnection):
        """The standard kernel websocket connection, with Nagle's algorithm off."""

        def connect(self):
            self.websocket_handler.set_nodelay(True)
            return super().connect()

    c.ServerApp.kernel_websocket_connection_class = PromptKernelConnection  # noqa: F821
