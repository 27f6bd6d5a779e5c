"""At most ``limit`` requests of a worker at work at once; the rest wait their turn in arrival order.

A worker is one Python process: its requests share one interpreter lock. With many requests at
work together (bench load, closed loop: 25 per worker), every request that paused for the store
or the text index waited for the lock again behind all the others, many times per request, so
each took as long as all of them together. Admitted a few at a time, a request waits once, at the
door, and then runs at the speed of a lightly loaded worker.

A request's body is read before it queues (bounded by ``BodyLimit``, outside this), and its
place is given up when its answer starts: a client slow to send or to read holds no place."""

from __future__ import annotations

import tempfile
from typing import IO

import anyio

from search_api.body_limit import ASGIApp, Message, Receive, Scope, Send

# a liveness probe answers at once, whatever the queue: a probe that timed out behind slow
# requests would have a busy worker restarted, its requests lost
UNQUEUED = frozenset({"/health"})
SPOOL_IN_MEMORY = 1024 * 1024
REPLAY_PIECE = 1024 * 1024


class Admission:
    """ASGI middleware: at most ``limit`` requests at work in this process (0: no limit)."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit
        self._places: anyio.Semaphore | None = None  # made in the worker's event loop, on first use

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.limit <= 0 or scope.get("path") in UNQUEUED:
            await self.app(scope, receive, send)
            return
        if self._places is None:
            self._places = anyio.Semaphore(self.limit, fast_acquire=True)
        # the whole body first, so that a slow upload waits outside; past 1 MB it goes to a
        # temporary file (uploads of five photos reach 76 MB: not held in memory, many at once)
        body = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 (closed in finally)
        try:
            while True:
                message = await receive()
                if message["type"] != "http.request":  # the client went away before it finished
                    return
                body.write(message.get("body", b""))
                if not message.get("more_body", False):
                    break
            size = body.tell()
            body.seek(0)
            await self._admitted(self._places, scope, self._replay(body, size, receive), send)
        finally:
            body.close()

    @staticmethod
    def _replay(body: IO[bytes], size: int, receive: Receive) -> Receive:
        """The body again, in pieces, then whatever the client sends next (a disconnect)."""
        sent = 0

        async def replay() -> Message:
            nonlocal sent
            if sent >= size and sent > 0:
                return await receive()
            piece = body.read(REPLAY_PIECE)
            sent += len(piece) or 1  # an empty body is one empty message
            return {"type": "http.request", "body": piece, "more_body": sent < size}

        return replay

    async def _admitted(self, places: anyio.Semaphore, scope: Scope, receive: Receive, send: Send) -> None:
        held = False

        async def release_on_answer(message: Message) -> None:
            nonlocal held
            if held and message["type"] == "http.response.start":
                held = False
                places.release()
            await send(message)

        await places.acquire()
        held = True
        try:
            await self.app(scope, receive, release_on_answer)
        finally:
            if held:
                places.release()
