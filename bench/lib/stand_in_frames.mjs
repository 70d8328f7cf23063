// What the in-process harnesses (server_path.mjs on Node/Bun, server_path_deno.ts on
// Deno) feed their stand-in sockets: one upgrade request and small masked client frames.
// Shared so that both runtimes parse the very same bytes.

const encoder = new TextEncoder();

/** The upgrade request every stand-in connection starts with. */
export const UPGRADE = encoder.encode(
  "GET /bench HTTP/1.1\r\nHost: 127.0.0.1:1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
);

/**
 * A masked client frame (FIN set, payload under 126 bytes) with a fixed key: the
 * harnesses measure the server, so the key need not be random.
 * @param {number} opcode
 * @param {Uint8Array} payload
 * @returns {Uint8Array}
 */
export function clientFrame(opcode, payload) {
  if (payload.length > 125) throw new RangeError("clientFrame: payload over 125 bytes");
  const frame = new Uint8Array(6 + payload.length);
  frame[0] = 0x80 | opcode;
  frame[1] = 0x80 | payload.length;
  const key = [0x12, 0x34, 0x56, 0x78];
  frame.set(key, 2);
  for (let i = 0; i < payload.length; i++) frame[6 + i] = payload[i] ^ key[i & 3];
  return frame;
}
