/**
 * The few runtime services the client and the server need besides
 * sockets — reading a certificate file and an environment variable, random
 * bytes and SHA-1 — on Deno, Node and Bun.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import * as nodeCrypto from "node:crypto";

interface NodeProcessLike {
  env: Record<string, string | undefined>;
}

/** Reads a UTF-8 text file (PEM certificates and keys). Rejects with the runtime's error. */
export async function readTextFile(path: string): Promise<string> {
  if ("Deno" in globalThis) return await Deno.readTextFile(path);
  const fs = await import("node:fs/promises");
  return await fs.readFile(path, "utf8");
}

/** True when the error means the file does not exist (or is not readable as a file). */
export function isMissingFileError(error: unknown): boolean {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return error.name === "NotFound" || code === "ENOENT" || code === "EISDIR" ||
      error.name === "IsADirectory";
  }
  return false;
}

/** Reads an environment variable; `undefined` when unset. */
export function getEnv(name: string): string | undefined {
  if ("Deno" in globalThis) return Deno.env.get(name);
  const process = (globalThis as { process?: NodeProcessLike }).process;
  return process?.env[name];
}

/**
 * Decrypts a PEM private key with its passphrase and returns it as plain
 * PKCS#8 PEM, so every TLS engine can use it. A wrong passphrase rejects.
 */
export async function decryptPrivateKey(pem: string, passphrase: string): Promise<string> {
  const crypto = await import("node:crypto");
  const key = crypto.createPrivateKey({ key: pem, format: "pem", passphrase });
  return key.export({ type: "pkcs8", format: "pem" }).toString();
}

// `hash` (Node 20.12+, Bun) digests in one native call, about twice as fast as a Hash
// object on Node and Bun; Deno's emulation of it is the slower of its two, and older
// runtimes lack it.
const oneShotHash = "Deno" in globalThis ? undefined : (nodeCrypto as {
  hash?: (algorithm: string, data: Uint8Array, encoding: "base64") => string;
})
  .hash;

/**
 * SHA-1 of `data` in Base64, from `node:crypto` (native on Deno, Node and
 * Bun), for the handshake's accept key. Base64 text straight from the digest:
 * on Node a digest as a `Buffer` is a fresh off-heap allocation that costs
 * more than the hash itself.
 */
export const sha1Base64: (data: Uint8Array) => string = oneShotHash === undefined
  ? (data) => nodeCrypto.createHash("sha1").update(data).digest("base64")
  : (data) => oneShotHash("sha1", data, "base64");

/**
 * Allocates the buffer a received binary message is handed out in (the
 * protocol core fills every byte before the message leaves it, so the
 * memory need not be zeroed): `Buffer.allocUnsafeSlow`, an `ArrayBuffer` of
 * exactly `size` bytes that is not zeroed. On Deno and Bun it recycles freed
 * memory and is 1.2-3.5x cheaper for a 4 MiB message than a zeroed
 * `Uint8Array`. On Node the two cost about the same in a loop, but under load
 * the zeroed one loses: the (s2) server bench echoed 4 MiB messages at a
 * median 1,012 against 865 MB/s (7 and 13 alternating single runs), and small
 * messages are no dearer (100 B: 0.4-0.5 against 0.9 µs with their buffer).
 */
export const allocateMessage: (size: number) => Uint8Array = (size) => Buffer.allocUnsafeSlow(size);

/**
 * Allocates a buffer the library keeps to itself (a compressed message before it is
 * inflated): `Buffer.allocUnsafe`, which carves small sizes out of a shared block, so a
 * stream of small messages does not cost a fresh `ArrayBuffer` (and its collection) each.
 */
export const allocateInternal = (size: number): Uint8Array => Buffer.allocUnsafe(size);

/** Fills `buffer` from the runtime's CSPRNG (Web Crypto), for keys and masks. */
export function randomFill(buffer: Uint8Array): void {
  crypto.getRandomValues(buffer);
}
