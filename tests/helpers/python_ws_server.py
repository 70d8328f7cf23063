"""Echo WebSocket server on Debian's python3-websockets, for tests/interop_test.ts.

Run with /usr/bin/python3 (where the Debian package installs the module). It
listens on 127.0.0.1, port 0, and writes one JSON object per line on stdout:

    {"event": "listening", "port": 40123, "version": "10.4"}   first line
    {"event": "open", "path": "/"}                               a client connected
    {"event": "closed", "code": 4001, "reason": "bye"}          a connection ended
    {"event": "failed", "op": "ping", "error": "..."}           a command failed

Every message is echoed back, except a text message "cmd:<json>", which is a
command for the server:

    {"op": "close", "code": 4002, "reason": "..."}  close handshake started by the server
    {"op": "drop"}                                   abort the transport: no close frame
    {"op": "fragments", "text": ["a", "", "b"]}     one text message sent as fragments
    {"op": "fragments", "binary": [[1, 2], [3]]}     one binary message sent as fragments
    {"op": "bulk", "kind": "text", "total": 4194304, "fragment": 64}
                                                     one large message sent in fragments:
                                                     text "BAsd7&jh23" repeated, or binary
                                                     bytes 0..255 repeated
    {"op": "ping", "payload": "..."}                ping; once the matching pong is in,
                                                     reply with the text "pong:<payload>"

The server exits when its stdin reaches EOF (the test closes it) or after a
hard limit, so a crashed test run never leaves it behind.
"""

import asyncio
import json
import sys

HARD_LIMIT_S = 300
BULK_TEXT = "BAsd7&jh23"  # Autobahn's payload; ASCII, so any byte split is a valid fragment


def emit(**event):
    print(json.dumps(event), flush=True)


try:
    import websockets
    from websockets.exceptions import ConnectionClosed
except ImportError as error:  # pragma: no cover - reported to the test
    emit(event="error", message=f"cannot import websockets: {error}")
    sys.exit(3)


async def command(ws, spec):
    op = spec["op"]
    if op == "close":
        await ws.close(spec["code"], spec["reason"])
    elif op == "drop":
        ws.transport.abort()
    elif op == "fragments":
        # websockets sends an iterable as one fragmented message, a frame per item.
        if "text" in spec:
            await ws.send(list(spec["text"]))
        else:
            await ws.send([bytes(part) for part in spec["binary"]])
    elif op == "bulk":
        # One message of `total` bytes in `fragment`-byte frames (Autobahn 9.3 / 9.4).
        total, size = spec["total"], spec["fragment"]
        if spec["kind"] == "text":
            data = (BULK_TEXT * (total // len(BULK_TEXT) + 1))[:total]
        else:
            data = bytes(range(256)) * (total // 256) + bytes(range(total % 256))
        await ws.send([data[i : i + size] for i in range(0, total, size)])
    elif op == "ping":
        # The waiter resolves only for a pong carrying the same payload.
        waiter = await ws.ping(spec["payload"])
        await asyncio.wait_for(waiter, 5)
        await ws.send("pong:" + spec["payload"])
    else:
        raise ValueError(f"unknown command {op!r}")


async def handler(ws):
    # websockets < 13 has ws.path; the newer asyncio implementation has ws.request.path.
    path = getattr(ws, "path", None) or getattr(getattr(ws, "request", None), "path", None)
    emit(event="open", path=path)
    try:
        async for message in ws:
            if isinstance(message, str) and message.startswith("cmd:"):
                spec = json.loads(message[4:])
                try:
                    await command(ws, spec)
                except ConnectionClosed:
                    raise
                except Exception as error:  # reported, the connection goes on
                    emit(event="failed", op=spec.get("op"), error=repr(error))
            else:
                await ws.send(message)
    except ConnectionClosed:
        pass
    await ws.wait_closed()
    emit(event="closed", code=ws.close_code, reason=ws.close_reason)


async def stdin_eof():
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while await reader.read(4096):
        pass


async def main():
    async with websockets.serve(
        handler,
        "127.0.0.1",
        0,
        max_size=None,  # the tests send 1 MiB; the default limit is exactly 1 MiB
        ping_interval=None,  # no pings but the ones a test asks for
        compression=None,
    ) as server:
        port = server.sockets[0].getsockname()[1]
        emit(event="listening", port=port, version=websockets.__version__)
        try:
            await asyncio.wait_for(stdin_eof(), HARD_LIMIT_S)
        except asyncio.TimeoutError:
            pass
    emit(event="stopped")


asyncio.run(main())
