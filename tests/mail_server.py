"""A real SMTP server for the tests (aiosmtpd, in the test process or its own process).

It keeps every message it accepted; recipients starting with ``nobody@`` are refused with a
5xx; ``hold()`` makes the next conversation wait at RCPT, before any message is accepted,
until ``release()`` (to kill a worker in the middle of a delivery).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Handler:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.lock = threading.Lock()
        self.gate = threading.Event()
        self.gate.set()
        self.conversation_started = threading.Event()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        self.conversation_started.set()
        while not self.gate.is_set():
            await asyncio.sleep(0.05)
        if address.startswith("nobody@"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted"


class MailServer:
    """Start, stop and restart a local SMTP server on a fixed port."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.handler = Handler()
        self.controller: Controller | None = None

    def start(self) -> MailServer:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list[Message]:
        with self.handler.lock:
            return list(self.handler.messages)

    def hold(self) -> None:
        self.handler.gate.clear()

    def release(self) -> None:
        self.handler.gate.set()

    def config(self) -> dict[str, Any]:
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": self.port, "MAIL_TIMEOUT": 5}
