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
export * from "./tls_version.ts";
export { connectDeno, DenoByteStream } from "./deno_stream.ts";
export { defaultConnector, defaultListen } from "./default_connector.ts";
export { listenNode } from "./node_listener.ts";
export * from "./proxy.ts";
export * from "./runtime.ts";
export * from "./listener.ts";
export { listenDeno } from "./deno_listener.ts";
