"""The socket ``mfc serve`` listens on: the connections asyncio accepts from it have
Nagle's algorithm off (TCP_NODELAY).  With it on, every response that uvicorn writes as
headers then body waited for the client's delayed ACK, 40 ms per keep-alive request
(found profiling time to first token)."""

from __future__ import annotations

import asyncio
import socket

from builder.serve.server import _bind


def test_accepted_connections_have_nagle_off() -> None:
    listener = _bind("127.0.0.1", 0)
    port = listener.getsockname()[1]
    seen: list[int] = []

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            accepted = transport.get_extra_info("socket")
            seen.append(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def probe() -> None:
        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        async with server:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            for _ in range(100):
                if seen:
                    break
                await asyncio.sleep(0.01)
            writer.close()

    asyncio.run(probe())
    assert seen and seen[0] != 0
