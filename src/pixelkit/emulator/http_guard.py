"""What the emulator answers: requests from this computer's programs, never from a web page.

A server on a learner's laptop that runs the code it is sent must not be reachable from the web
pages the learner visits. Two browser mechanisms would let a page reach 127.0.0.1:4566:
- DNS rebinding: a page of ``evil.example`` makes its own name resolve to 127.0.0.1; its requests
  then carry ``Host: evil.example:4566``. Only requests addressed to the emulator by a loopback
  name are answered (``127.0.0.1``, ``localhost``, ``[::1]``, and ``*.localhost``, which RFC 6761
  reserves for loopback and S3's virtual-hosted style uses), on any port: the name is what a
  rebinding page cannot fake, while the port differs behind a proxy or an SSH tunnel.
- Cross-origin requests: a page's ``fetch`` carries its ``Origin``. A request whose Origin is not the
  emulator's own is refused, and no response carries CORS headers, so no page may read one.
AWS SDKs and the CLI send neither a foreign Host nor an Origin, so they are never refused.
"""

from __future__ import annotations

import json
import logging

from pixelkit.emulator import request_context

logger = logging.getLogger("pixelkit.emulator")


class LoopbackOnly:
    """WSGI middleware in front of moto's application."""

    def __init__(self, app, port_of):
        self.app = app
        self._port_of = port_of  # the port is known once the server is bound
        self._said: set[str] = set()

    def _allowed_hosts(self) -> set[str]:
        port = self._port_of()
        return {f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"}

    def _host_ok(self, host: str) -> bool:
        host = host.lower()
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if host.startswith("[") and "]" in host:
            name = host[:host.index("]") + 1]
        if "/" in host or "@" in host:
            return False
        return name in ("127.0.0.1", "localhost", "[::1]") or name.endswith(".localhost")

    def _origin_ok(self, origin: str | None) -> bool:
        if origin is None:
            return True
        return origin.lower() in {f"http://{host}" for host in self._allowed_hosts()}

    def __call__(self, environ, start_response):
        host = environ.get("HTTP_HOST", "")
        origin = environ.get("HTTP_ORIGIN")
        if not self._host_ok(host):
            return self._refuse(start_response, f"Host {host!r}", "it is not addressed to this emulator by its "
                                "loopback name (a web page using DNS rebinding would look like this)")
        if environ.get("HTTP_SEC_FETCH_SITE", "same-origin") not in ("same-origin", "none"):
            return self._refuse(start_response, "Sec-Fetch-Site " + repr(environ["HTTP_SEC_FETCH_SITE"]),
                                "a browser sent it for a page of another site")
        if not self._origin_ok(origin):
            return self._refuse(start_response, f"Origin {origin!r}", "it comes from a web page of another "
                                "origin; the emulator does not answer web pages")
        request_context.remember(environ)

        def without_cors(status, headers, exc_info=None):
            kept = [(name, value) for name, value in headers if not name.lower().startswith("access-control-")]
            return start_response(status, kept, exc_info) if exc_info else start_response(status, kept)

        return self.app(environ, without_cors)

    def _refuse(self, start_response, what: str, why: str):
        message = f"Refused a request with {what}: {why}."
        if what not in self._said:
            self._said.add(what)
            logger.warning("%s", message)
        body = json.dumps({"__type": "AccessDeniedException", "message": message}).encode()
        start_response("403 Forbidden", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


# Variables the emulator drops from its own environment at start: it never needs the shell's
# credentials, and a function must never be able to find them in the emulator's process.
SECRET_MARKERS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "API_KEY", "ACCESS_KEY", "PRIVATE_KEY")


def scrubbed(environ: dict[str, str]) -> dict[str, str]:
    """The environment without AWS settings and secrets (``AWS_*``, ``*TOKEN*``, ``*SECRET*``...)."""
    return {name: value for name, value in environ.items()
            if not name.startswith("AWS_") and not any(marker in name.upper() for marker in SECRET_MARKERS)}
