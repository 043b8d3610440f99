# RemoteGpu's Jupyter Server configuration: Jupyter trusts only the edge (remotegpu_jupyter.py).
# Passed by remotegpu-entrypoint with --config; the rest of the settings are on its command line.
import remotegpu_jupyter

remotegpu_jupyter.configure(c)  # noqa: F821 (c is Jupyter's config object)
