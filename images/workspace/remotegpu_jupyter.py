"""Jupyter trusts only the platform's edge (RemoteGpu, docs/security.md).

The edge presents a token on every request it forwards (``Authorization: token <t>``). Inside the workspace
there is only the token's SHA-256, in ``TOKEN_HASH_FILE``: written as root by the platform's worker after each
container start and whenever access is revoked, removed by the entrypoint at every start. The workspace user
(and every kernel, terminal or grantee's code) can read the hash but cannot turn it into a token; no process's
environment or command line holds the token; no cookie, password or ``?token=`` URL logs anyone in.

Loaded by Jupyter Server 1.x and 2.x alike through ``ServerApp.login_handler_class`` (2.x wraps it in its
legacy identity provider).
"""

import hashlib
import hmac
import os
import secrets

from jupyter_server.auth.login import LoginHandler

TOKEN_HASH_FILE = "/run/remotegpu/jupyter-token.sha256"
USER_NAME = "remotegpu-edge"

_cached = {"key": None, "digest": None}


def _expected_digest():
    """The hash the worker wrote, re-read when the file changes (a rotation takes effect at once)."""
    try:
        stat = os.stat(TOKEN_HASH_FILE)
    except FileNotFoundError:
        return None
    key = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    if _cached["key"] != key:
        with open(TOKEN_HASH_FILE, "rb") as file:
            text = file.read(128).decode("ascii", "replace").strip()
        try:
            digest = bytes.fromhex(text) if len(text) == 64 else None
        except ValueError:
            digest = None
        _cached.update(key=key, digest=digest)
    return _cached["digest"]


def _presented_token(handler):
    scheme, _, value = handler.request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "token" and value.strip() else None


class EdgeTokenLoginHandler(LoginHandler):
    """Authenticates the edge's token header against the hash, and nothing else."""

    @classmethod
    def get_user(cls, handler):
        if getattr(handler, "_remotegpu_user", None):
            return handler._remotegpu_user
        expected = _expected_digest()
        presented = _presented_token(handler)
        if expected is None or presented is None:
            return None
        if not hmac.compare_digest(hashlib.sha256(presented.encode("utf-8")).digest(), expected):
            return None
        # Token-authenticated: Jupyter's XSRF cookie check does not apply (the edge checks Origin first).
        handler._token_authenticated = True
        handler._remotegpu_user = USER_NAME
        return USER_NAME

    @classmethod
    def is_token_authenticated(cls, handler):
        cls.get_user(handler)
        return getattr(handler, "_token_authenticated", False)

    @classmethod
    def get_login_available(cls, settings):
        return False

    @classmethod
    def validate_security(cls, app, ssl_options=None):
        """Jupyter's own warnings about tokens and passwords do not apply: see the module's docstring."""


def configure(c):
    """Called from jupyter_server_config.py."""
    c.ServerApp.login_handler_class = "remotegpu_jupyter.EdgeTokenLoginHandler"
    # Jupyter's own token is never accepted (get_user above ignores it); a random one keeps Jupyter from
    # calling the server unauthenticated in its logs, and is never printed because it is not generated.
    c.ServerApp.token = secrets.token_hex(32)
    c.ServerApp.password = ""
