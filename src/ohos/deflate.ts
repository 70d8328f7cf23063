/**
 * permessage-deflate (RFC 7692) as the client and the server set it up:
 * the `perMessageDeflate` option checked, and a negotiated agreement turned
 * into the connection's pipeline settings (a `node:zlib` engine per
 * connection, see `src/transport/zlib.ts`).
 *
 * @module
 */

import {
  type DeflateAgreement,
  type DeflateConfig,
  deflateDirections,
  type DeflatePipelineOptions,
  parseDeflateOptions,
  type Role,
} from "../protocol/mod.ts";
import { ZlibDeflateEngine } from "../transport/zlib.ts";
import { parameterError } from "./errors.ts";

/** The `perMessageDeflate` extension option, checked (a 401 names the bad field); undefined: off. */
export function deflateOption(value: unknown): DeflateConfig | undefined {
  try {
    return parseDeflateOptions(value);
  } catch (error) {
    throw parameterError((error as Error).message);
  }
}

/** The pipeline settings of one connection that negotiated `agreement`. */
export function deflatePipeline(
  agreement: DeflateAgreement,
  role: Role,
  config: DeflateConfig,
): DeflatePipelineOptions {
  return {
    engine: new ZlibDeflateEngine(deflateDirections(agreement, role)),
    threshold: config.threshold,
  };
}
