# RemoteGpu's Jupyter Server configuration: Jupyter trusts only the edge (remotegpu_jupyter.py).
# Passed by remotegpu-entrypoint with --config; the rest of the settings are on its command line.
import importlib.util

import remotegpu_jupyter

remotegpu_jupyter.configure(c)  # noqa: F821 (c is Jupyter's config object)

# Without JupyterLab (the test image: Debian has none), /jupyter/ opens the classic notebook's file list, as
# jupyter-lab opens /lab. (With --config, Jupyter reads no other config file: /etc/jupyter's would not count.)
if importlib.util.find_spec("jupyterlab") is None and importlib.util.find_spec("nbclassic") is not None:
    c.ServerApp.default_url = "/tree"  # noqa: F821
