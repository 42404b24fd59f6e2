"""The registry's listening socket: replies on a kept-alive connection are not held back.

A response goes out in two writes (headers, then body). Without TCP_NODELAY the second
waits, by Nagle's algorithm, for the client to acknowledge the first, and the client delays
that acknowledgement by about 40 ms: every request after the first on a connection took
44 ms instead of about 1. asyncio sets TCP_NODELAY on accepted connections only when the
listening socket was created with ``IPPROTO_TCP`` as its protocol.
"""

from __future__ import annotations

import asyncio
import socket

from hatch_stage.registry.server import bind


def test_connections_accepted_by_the_registry_socket_send_without_delay() -> None:
    listening = bind("127.0.0.1", 0)
    port = listening.getsockname()[1]
    seen: list[int] = []

    async def main() -> None:
        async def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(accepted, sock=listening)
        async with server:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            for _ in range(100):
                if seen:
                    break
                await asyncio.sleep(0.01)
            writer.close()

    asyncio.run(main())
    assert seen and seen[0] != 0, "accepted connections lack TCP_NODELAY"
