# Voila settings for the collection (`make present`): the same prompt kernel
# connection as JupyterLab's, from jupyter_server_config.py beside this file.

load_subconfig("jupyter_server_config.py")  # noqa: F821
if "kernel_websocket_connection_class" in c.ServerApp:  # noqa: F821
    c.Voila.kernel_websocket_connection_class = c.ServerApp.kernel_websocket_connection_class  # noqa: F821
