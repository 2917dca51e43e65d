"""A PostgreSQL wire-protocol proxy on loopback that counts round trips.

Every frontend message is framed as ``type byte + int32 length``; a round trip ends with a
simple ``Query`` ('Q') or with a ``Sync`` ('S') after an extended-protocol batch
(Parse/Bind/Execute). Counting 'Q' + 'S' from clients therefore counts the times a client
waited for the server. The startup packet (no type byte) is passed through uncounted.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections import Counter


class CountingProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.counts: Counter[str] = Counter()
        self._server: asyncio.Server | None = None
        self.port = 0

    @property
    def round_trips(self) -> int:
        return self.counts["Q"] + self.counts["S"]

    def reset(self) -> None:
        self.counts.clear()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            # Connections a pool left open would keep wait_closed() waiting for ever.
            with contextlib.suppress(Exception, TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            server_r, server_w = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_w.close()
            return
        upstream = asyncio.create_task(self._pipe(server_r, client_w))
        try:
            await self._frontend(client_r, server_w)
        finally:
            server_w.close()
            upstream.cancel()
            client_w.close()

    async def _frontend(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # The startup (and SSL/GSS requests) have a length but no type byte.
        started = False
        while True:
            try:
                if not started:
                    head = await reader.readexactly(4)
                    (length,) = struct.unpack("!I", head)
                    body = await reader.readexactly(length - 4)
                    writer.write(head + body)
                    code = struct.unpack("!I", body[:4])[0] if len(body) >= 4 else 0
                    # 80877103 = SSLRequest, 80877104 = GSSENCRequest: the startup follows.
                    started = code not in (80877103, 80877104)
                else:
                    kind = await reader.readexactly(1)
                    head = await reader.readexactly(4)
                    (length,) = struct.unpack("!I", head)
                    body = await reader.readexactly(length - 4)
                    self.counts[kind.decode("latin-1")] += 1
                    writer.write(kind + head + body)
                await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                return

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            # The server hung up (after a Terminate): so does the client's side, or a client
            # that waits for the close would wait for ever.
            writer.close()


class RedisCountingProxy(CountingProxy):
    """The same for Redis: counts the commands clients send (RESP arrays at top level), so a
    script's inner commands, which Redis' own counters include, are not counted."""

    async def _frontend(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                line = await reader.readline()
                if not line:
                    return
                chunks = [line]
                if line.startswith(b"*"):
                    for _ in range(int(line[1:].strip())):
                        head = await reader.readline()
                        chunks.append(head)
                        if head.startswith(b"$"):
                            chunks.append(await reader.readexactly(int(head[1:].strip()) + 2))
                    self.counts["Q"] += 1
                writer.write(b"".join(chunks))
                await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError, ValueError):
                return
