"""A TCP relay that adds a fixed one-way delay each way: a WAN link on loopback, for `make bench`.

Each chunk is forwarded RTT/2 after it arrived, in order, with no bandwidth limit; a new
connection's first bytes wait one extra RTT, as a TCP handshake would cost. Toxiproxy's latency
toxic does the same, but would be a second Go build and a server with a control API for one fixed
delay; this is the whole of what the benchmark needs.
"""

from __future__ import annotations

import asyncio
import threading
import time


class LatencyProxy:
    """Relays 127.0.0.1:<port> to `target_host:target_port` with `rtt_seconds` round-trip time."""

    def __init__(self, target_host: str, target_port: int, rtt_seconds: float) -> None:
        self.target = (target_host, target_port)
        self.one_way = rtt_seconds / 2
        self.connections = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="latency-proxy", daemon=True)
        self.port = 0

    def __enter__(self) -> LatencyProxy:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *_exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._accept, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        for stream in (client_writer, upstream_writer):
            sock = stream.get_extra_info("socket")
            if sock is not None:
                import socket

                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        handshake_done = time.monotonic() + 2 * self.one_way
        await asyncio.gather(
            self._pump(client_reader, upstream_writer, not_before=handshake_done),
            self._pump(upstream_reader, client_writer, not_before=0.0),
            return_exceptions=True,
        )

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, not_before: float
    ) -> None:
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, data = await queue.get()
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                if not data:
                    writer.close()
                    return
                writer.write(data)
                await writer.drain()

        delivery = asyncio.ensure_future(deliver())
        try:
            while True:
                data = await reader.read(65536)
                queue.put_nowait((max(time.monotonic() + self.one_way, not_before), data))
                if not data:
                    break
        finally:
            await delivery
