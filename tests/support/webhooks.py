"""A webhook receiver of the tests' own: a real HTTP server on loopback that verifies each
request's Standard Webhooks signature (the ``standardwebhooks`` package, as a receiver
would) and records what it was sent. It can be stopped and started again on the same port,
and told to answer with an error."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from tests.support.integration import free_port


@dataclass
class Received:
    message_id: str
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class Receiver:
    secret: str = ""
    port: int = field(default_factory=free_port)
    answer: int = 200
    received: list[Received] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/tre"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    body = Webhook(receiver.secret).verify(raw, headers)
                except WebhookVerificationError as error:
                    receiver.refused.append(str(error))
                    self.send_response(400)
                    self.end_headers()
                    return
                if receiver.answer == 200:
                    receiver.received.append(Received(headers["webhook-id"], body, headers))
                self.send_response(receiver.answer)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps({"answer": receiver.answer}).encode())

            def log_message(self, *args):
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
