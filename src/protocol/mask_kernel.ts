/**
 * A WebAssembly SIMD kernel for XOR masking: long payloads are masked 16
 * bytes per instruction in a 64 KiB scratch memory. JavaScript's word loop
 * masks 1.5-4 GB/s on these machines (Node 20's is the slow end); copying a
 * chunk in, masking it there and copying it out runs about 10 GB/s on Deno,
 * Node and Bun. Where WebAssembly or its SIMD instructions are missing,
 * {@linkcode maskKernel} returns `null` and the caller keeps its loop.
 *
 * The module is built here from its instructions (under 200 bytes), so
 * there is no binary file to ship or load.
 *
 * @module
 */

/** Bytes the kernel masks per call: its scratch memory, one WebAssembly page. */
export const KERNEL_CHUNK = 64 * 1024;

/** The kernel: its scratch memory and the function that masks a prefix of it. */
export interface MaskKernel {
  /** The scratch memory (`KERNEL_CHUNK` bytes). */
  readonly scratch: Uint8Array;
  /**
   * XORs `scratch[0, length)` in place with `keyWord` repeated, where
   * `length` is a multiple of 16 and `keyWord` holds the key bytes for
   * `scratch[0..3]` in little-endian order.
   */
  readonly xor: (length: number, keyWord: number) => void;
}

// The part of the WebAssembly API used here, declared locally so that this
// file type-checks without the DOM library and runs where WebAssembly is absent.
interface WasmApi {
  Module: new (bytes: Uint8Array) => unknown;
  Instance: new (module: unknown) => {
    exports: { memory: { buffer: ArrayBuffer }; xor: (length: number, keyWord: number) => void };
  };
}

// Opcodes and types of the WebAssembly binary format (core spec section 5, SIMD proposal).
const I32 = 0x7f, V128 = 0x7b, FUNC_TYPE = 0x60, VOID_BLOCK = 0x40;
const BLOCK = 0x02, LOOP = 0x03, END = 0x0b, BR = 0x0c, BR_IF = 0x0d;
const LOCAL_GET = 0x20, LOCAL_SET = 0x21, I32_CONST = 0x41;
const I32_LT_U = 0x49, I32_ADD = 0x6a, I32_SUB = 0x6b;
const SIMD = 0xfd, V128_LOAD = 0x00, V128_STORE = 0x0b, I32X4_SPLAT = 0x11, V128_XOR = 0x51;

/** Unsigned LEB128, as the binary format writes sizes and indices. */
function leb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

/** Signed LEB128, for `i32.const` (64 needs two bytes: its bit 6 is the sign bit). */
function sleb(value: number): number[] {
  const out: number[] = [];
  while (true) {
    const byte = value & 0x7f;
    value >>= 7;
    const done = (value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function section(id: number, content: number[]): number[] {
  return [id, ...leb(content.length), ...content];
}

function name(text: string): number[] {
  return [text.length, ...Array.from(text, (c) => c.charCodeAt(0))];
}

// Locals of `xor`: 0 = length, 1 = keyWord (parameters), 2 = position, 3 = the key splat.
const LENGTH = 0, KEY = 1, AT = 2, SPLAT = 3;

/** `scratch[at + offset, +16) ^= splat`: one 16-byte block (memarg: 16-byte alignment hint). */
function xorBlock(offset: number): number[] {
  return [
    LOCAL_GET,
    AT, // the store's address
    LOCAL_GET,
    AT,
    SIMD,
    V128_LOAD,
    4,
    ...leb(offset),
    LOCAL_GET,
    SPLAT,
    SIMD,
    V128_XOR,
    SIMD,
    V128_STORE,
    4,
    ...leb(offset),
  ];
}

/** A loop masking `stride`-byte strides (`stride / 16` blocks each) while one fits before `length`. */
function strideLoop(stride: number): number[] {
  const blocks: number[] = [];
  for (let offset = 0; offset < stride; offset += 16) blocks.push(...xorBlock(offset));
  return [
    BLOCK,
    VOID_BLOCK,
    LOOP,
    VOID_BLOCK,
    // if (length - at < stride) break
    LOCAL_GET,
    LENGTH,
    LOCAL_GET,
    AT,
    I32_SUB,
    I32_CONST,
    ...sleb(stride),
    I32_LT_U,
    BR_IF,
    1,
    ...blocks,
    LOCAL_GET,
    AT,
    I32_CONST,
    ...sleb(stride),
    I32_ADD,
    LOCAL_SET,
    AT,
    BR,
    0,
    END,
    END,
  ];
}

function buildModule(): Uint8Array {
  const body = [
    2,
    1,
    I32,
    1,
    V128, // locals: one i32 (position, starts at 0), one v128
    LOCAL_GET,
    KEY,
    SIMD,
    I32X4_SPLAT,
    LOCAL_SET,
    SPLAT,
    ...strideLoop(64), // four blocks per turn while they fit,
    ...strideLoop(16), // then single blocks (length is a multiple of 16)
    END,
  ];
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00, // "\0asm", version 1
    ...section(1, [1, FUNC_TYPE, 2, I32, I32, 0]), // type 0: (i32, i32) -> ()
    ...section(3, [1, 0]), // function 0 has type 0
    ...section(5, [1, 0x00, 1]), // one memory: 1 page (64 KiB), no maximum
    ...section(7, [2, ...name("memory"), 0x02, 0, ...name("xor"), 0x00, 0]),
    ...section(10, [1, ...leb(body.length), ...body]),
  ]);
}

let kernel: MaskKernel | null | undefined;

/**
 * The kernel, made on first use; `null` where the runtime cannot run it (no
 * WebAssembly, no SIMD), and the caller then masks in JavaScript.
 *
 * @example
 * ```ts
 * import { maskKernel } from "./mask_kernel.ts";
 * const k = maskKernel();
 * if (k !== null) {
 *   k.scratch.fill(0xff, 0, 16);
 *   k.xor(16, 0x04030201); // scratch[0] is now 0xfe, scratch[1] 0xfd, …
 * }
 * ```
 */
export function maskKernel(): MaskKernel | null {
  if (kernel !== undefined) return kernel;
  kernel = null;
  const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (wasm === undefined) return kernel;
  try {
    const { exports } = new wasm.Instance(new wasm.Module(buildModule()));
    kernel = { scratch: new Uint8Array(exports.memory.buffer), xor: exports.xor };
  } catch {
    // A runtime without WebAssembly SIMD refuses the module: mask in JavaScript.
  }
  return kernel;
}
