"""The shape of Autobahn's permessage-deflate cases (sections 12 and 13), played by
Debian's python3-websockets (run with /usr/bin/python3) against our client or our server.

Each case: one connection negotiated with the case's deflate parameters, COUNT messages of
SIZE bytes sent (in FRAGMENT-byte frames when FRAGMENT > 0, compressed frame by frame by
websockets), each echo awaited and compared byte for byte, then close 1000. Section 12.1-12.5
use the default offer with five payload kinds; 13.1-13.7 the parameter sets of Autobahn's 13.x.

  client PORT COUNT CASES...   fuzzing client against an echo server on 127.0.0.1:PORT
  server COUNT                 fuzzing server on 127.0.0.1 (port 0); the client under test
                               connects to /CASE and echoes every message

One JSON line per case on stdout: {"case": "12.1.3", "ok": true, "detail": "...", "ext": "..."}.
The server prints {"port": N} first and exits at stdin EOF.
"""

import asyncio
import json
import random
import sys

import websockets
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    ServerPerMessageDeflateFactory,
)

SIZES = [(16, 0), (64, 0), (256, 0), (1024, 0), (4096, 0), (8192, 0), (16384, 0), (32768, 0),
         (65536, 0), (131072, 0), (8192, 256), (16384, 256), (32768, 256), (65536, 256),
         (131072, 256), (131072, 1024), (131072, 4096), (131072, 32768)]
# 13.x: (no_context_takeover, max_window_bits; 0 = not asked), as in Autobahn's offers.
PARAMS = {1: [(False, 0)], 2: [(True, 0)], 3: [(False, 8)], 4: [(False, 15)], 5: [(True, 8)],
          6: [(True, 15)], 7: [(True, 8), (True, 0), (False, 0)]}
WORDS = ["alpha", "beta", "gamma", "delta", "{\"id\":", "\"value\":", "true", "null", "κόσμε"]


def payload(section, sub, size, seed):
    rnd = random.Random(seed)
    if section == 12 and sub == 2 or section == 12 and sub == 4:
        # binary, low entropy (12.2) or structured (12.4)
        if sub == 2:
            return bytes(rnd.choice(b"abcd\x00\x01") for _ in range(size))
        return bytes((i * 7 + (i >> 5)) & 0xFF for i in range(size))
    if section == 12 and sub == 5:
        return rnd.randbytes(size)  # incompressible binary
    out = []
    n = 0
    while n < size:
        w = rnd.choice(WORDS) + " "
        out.append(w)
        n += len(w.encode())
    text = "".join(out).encode()[:size]
    while True:  # cut on a character boundary, pad to size
        try:
            text.decode()
            break
        except UnicodeDecodeError:
            text = text[:-1]
    return (text + b" " * (size - len(text))).decode()


def case_list(spec):
    out = []
    for section, sub in ((12, s) for s in range(1, 6)):
        for i, (size, frag) in enumerate(SIZES, 1):
            out.append((f"12.{sub}.{i}", section, sub, size, frag))
    for sub in range(1, 8):
        for i, (size, frag) in enumerate(SIZES, 1):
            out.append((f"13.{sub}.{i}", 13, sub, size, frag))
    if spec == ["all"]:
        return out
    wanted = set(spec)
    return [c for c in out if c[0] in wanted or c[0].rsplit(".", 1)[0] in wanted]


def fragments(data, frag):
    if frag == 0 or frag >= len(data):
        return data
    if isinstance(data, str):
        raw = data.encode()
        parts, at = [], 0
        while at < len(raw):  # websockets needs whole characters per text fragment
            end = min(at + frag, len(raw))
            while end < len(raw) and (raw[end] & 0xC0) == 0x80:
                end += 1
            parts.append(raw[at:end].decode())
            at = end
        return parts
    return [data[i:i + frag] for i in range(0, len(data), frag)]


async def run_case(ws, count, section, sub, size, frag):
    for n in range(count):
        data = payload(section, sub if section == 12 else 1, size, n)
        await ws.send(fragments(data, frag))
        echo = await asyncio.wait_for(ws.recv(), 30)
        if echo != data:
            return False, f"message {n}: echo differs ({len(echo)} vs {len(data)})"
    return True, f"{count} echoes intact"


def client_factories(section, sub):
    params = [(False, 0)] if section == 12 else PARAMS[sub]
    return [ClientPerMessageDeflateFactory(
        client_no_context_takeover=nct, client_max_window_bits=True,
        server_no_context_takeover=nct, server_max_window_bits=bits or None,
    ) for nct, bits in params]


async def fuzz_client(port, count, spec):
    for name, section, sub, size, frag in case_list(spec):
        try:
            async with websockets.connect(f"ws://127.0.0.1:{port}/{name}", extensions=client_factories(section, sub),
                                          compression=None, max_size=None, open_timeout=10) as ws:
                ext = ws.response_headers.get("Sec-WebSocket-Extensions", "")
                ok, detail = await run_case(ws, count, section, sub, size, frag)
                await ws.close(1000)
                ok = ok and ws.close_code == 1000
        except Exception as error:  # noqa: BLE001 - reported as the case's result
            ok, detail, ext = False, repr(error), ""
        print(json.dumps({"case": name, "ok": ok, "detail": detail, "ext": ext}), flush=True)


async def fuzz_server(count):
    cases = {c[0]: c for c in case_list(["all"])}

    def factories_for(path):
        c = cases.get(path.strip("/"))
        if c is None or c[1] == 12:
            return [ServerPerMessageDeflateFactory()]
        nct, bits = PARAMS[c[2]][0]
        # zlib cannot compress raw deflate with a 256-byte window: python keeps 9 for its own
        # side and asks the client under test for `bits` (8 included).
        return [ServerPerMessageDeflateFactory(
            server_no_context_takeover=nct, client_no_context_takeover=nct,
            server_max_window_bits=max(bits, 9) if bits else None,
            client_max_window_bits=bits or None,
            require_client_max_window_bits=False)]

    async def handler(ws, path):
        name, section, sub, size, frag = cases[path.strip("/")]
        ext = ws.response_headers.get("Sec-WebSocket-Extensions", "")
        try:
            ok, detail = await run_case(ws, count, section, sub, size, frag)
            await ws.close(1000)
        except Exception as error:  # noqa: BLE001
            ok, detail = False, repr(error)
        print(json.dumps({"case": name, "ok": ok and bool(ext), "detail": detail, "ext": ext}), flush=True)

    class Server(websockets.WebSocketServerProtocol):
        async def process_request(self, path, headers):
            self.extensions_factories = factories_for(path)
            self.available_extensions = self.extensions_factories
            return None

    async with websockets.serve(handler, "127.0.0.1", 0, create_protocol=Server, compression=None,
                                extensions=[ServerPerMessageDeflateFactory()], max_size=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(json.dumps({"port": port}), flush=True)
        loop = asyncio.get_running_loop()
        await asyncio.wait_for(loop.run_in_executor(None, sys.stdin.read), 3600)


if __name__ == "__main__":
    if sys.argv[1] == "client":
        asyncio.run(fuzz_client(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]))
    else:
        asyncio.run(fuzz_server(int(sys.argv[2])))
