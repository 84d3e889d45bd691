"""The SMTP/LMTP listener (aiosmtpd): each message is stored and processed by one
database worker thread; the reply to DATA says what became of it, and a temporary
failure (451) only if the message could not be stored, so the sending server retries."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.db import connections

from accord.inbound import worker
from accord.inbound.ingest import max_message_bytes

logger = logging.getLogger(__name__)


class InboundHandler:
    """aiosmtpd handler: accept any recipient, deliver on DATA. With `workers` > 0 the
    messages are parsed and written by that many worker processes (parsing is CPU-bound,
    so threads would queue on the GIL; SQLite serialises the short write transactions);
    with 0, by one thread of this process (tests, and where processes are unwanted)."""

    def __init__(self, workers: int = 0) -> None:
        self.executor: Executor
        if workers > 0:
            self.executor = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=worker.start,
            )
            warming = [self.executor.submit(worker.ready) for _ in range(workers)]
            for future in warming:
                future.result()
        else:
            self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inbound")

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        if isinstance(content, str):
            content = content.encode("utf-8", errors="surrogateescape")
        loop = asyncio.get_running_loop()
        recipients = list(envelope.rcpt_tos)
        try:
            statuses = await loop.run_in_executor(
                self.executor, worker.deliver, bytes(content), envelope.mail_from or "", recipients
            )
        except Exception:  # e.g. a worker process died: the sender retries later
            logger.exception("an inbound message could not be delivered to a worker")
            retry = "451 4.3.0 temporarily unable to take the message; try again later"
            statuses = [retry] * max(1, len(recipients))
        if isinstance(server, LMTP):
            return "\r\n".join(statuses)  # one reply per recipient
        failed = [status for status in statuses if not status.startswith("250")]
        # SMTP has one reply for all: any recipient not stored means try again (those
        # stored are then recognised as duplicates).
        return failed[0] if failed else statuses[0]

    def close(self) -> None:
        if isinstance(self.executor, ThreadPoolExecutor):
            self.executor.submit(connections.close_all).result()
        self.executor.shutdown(wait=True)


class InboundController(Controller):
    """aiosmtpd's threaded controller, speaking LMTP when asked."""

    def __init__(self, handler: InboundHandler, *, lmtp: bool, **kwargs: Any) -> None:
        self.lmtp = lmtp
        super().__init__(handler, data_size_limit=2 * max_message_bytes(), **kwargs)

    def factory(self) -> SMTP:
        if self.lmtp:
            return LMTP(self.handler, **self.SMTP_kwargs)
        return SMTP(self.handler, **self.SMTP_kwargs)


def start_listener(
    host: str, port: int, *, lmtp: bool = False, workers: int = 0
) -> InboundController:
    """Listen on host:port in a background thread; `stop_listener` it when done."""
    controller = InboundController(
        InboundHandler(workers), lmtp=lmtp, hostname=host, port=port, server_hostname="accord"
    )
    controller.start()
    return controller


def stop_listener(controller: InboundController) -> None:
    controller.stop()
    handler = controller.handler
    if isinstance(handler, InboundHandler):
        handler.close()
