"""At most ``limit`` requests of a worker at work at once; the rest wait their turn in arrival order.

A worker is one Python process: its requests share one interpreter lock. With many requests at
work together (bench load, closed loop: 25 per worker), every request that paused for the store
or the text index waited for the lock again behind all the others, many times per request, so
each took as long as all of them together. Admitted a few at a time, a request waits once, at the
door, and then runs at the speed of a lightly loaded worker.

A request's body is read before it queues (bounded by ``BodyLimit``, outside this), and its
place is given up when its answer starts: a client slow to send or to read holds no place."""

from __future__ import annotations

import anyio

from search_api.body_limit import ASGIApp, Message, Receive, Scope, Send

# a liveness probe answers at once, whatever the queue: a probe that timed out behind slow
# requests would have a busy worker restarted, its requests lost
UNQUEUED = frozenset({"/health"})


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
        chunks: list[bytes] = []
        while True:  # the whole body first, so that a slow upload waits outside
            message = await receive()
            if message["type"] != "http.request":  # the client went away before it finished
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        places = self._places
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
            await self.app(scope, replay, release_on_answer)
        finally:
            if held:
                places.release()
