/**
 * Transports: byte streams for the client and server, chosen per runtime.
 *
 * @module
 */

export type {
  ByteStream,
  ByteStreamReader,
  ConnectOptions,
  Connector,
  TlsConnectOptions,
} from "./types.ts";
export { connectDeno, DenoByteStream } from "./deno_stream.ts";
export { defaultConnector } from "./default_connector.ts";
export * from "./proxy.ts";
export * from "./runtime.ts";
export * from "./deno_listener.ts";
