"""The OAuth callback server: a one-shot local HTTP server that catches Strava's redirect."""

from __future__ import annotations

import secrets
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from terskel.sources.strava.oauth import Grant, check_state, parse_redirect


class RedirectCatcher:
    """A one-shot HTTP server on 127.0.0.1 that waits for Strava's redirect.

    Only an answer carrying this sign-in's `state` counts, and only the first one: a
    forged request (no or a wrong state) or a later one cannot replace the caught code.
    """

    def __init__(self, state: str, port: int = 0) -> None:
        self.state = state
        self._received: str | None = None
        self._event = threading.Event()
        self._guard = threading.Lock()
        catcher = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, text = catcher._answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.end_headers()
                self.wfile.write(f"terskel: {text}\n".encode())

            def log_message(self, format: str, *args: Any) -> None:
                return  # the query holds the one-time code: never log it

        self._server = HTTPServer(("127.0.0.1", port), Handler)
        # shutdown() waits up to one poll interval: 0.05 s after the grant, not the default 0.5
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    def _answer(self, path: str) -> tuple[int, str]:
        """Keep the first redirect that carries our state; HTTP status and text to show."""
        # /authorized?state=Qm9...&code=abc123&scope=read,activity:read_all
        query = parse_qs(urlsplit(path).query)
        if "code" not in query and "error" not in query:
            return 404, "this is not a sign-in answer."
        state = query.get("state", [""])[0]
        if not secrets.compare_digest(state.encode(), self.state.encode()):
            return 400, "this answer does not belong to the sign-in in progress; ignored."
        with self._guard:
            if self._received is not None:
                return 409, "the sign-in was already answered; ignored."
            self._received = path
        self._event.set()
        return 200, "you can close this tab and return to the terminal."

    @property
    def redirect_uri(self) -> str:
        """Where Strava should send the browser back to."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/authorized"

    def __enter__(self) -> RedirectCatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait(self, timeout_s: float) -> Grant | None:
        """The grant once the browser comes back, or None after the timeout."""
        if not self._event.wait(timeout_s) or self._received is None:
            return None
        return check_state(parse_redirect(f"{self.redirect_uri}{self._received}"), self.state)
