/**
 * The pure RFC 6455 core: no sockets, timers or globals. Shared by the
 * client and the server, on Deno and on Node.
 *
 * @module
 */

export * from "./constants.ts";
export * from "./errors.ts";
export * from "./close.ts";
export * from "./frame_parser.ts";
export * from "./frame_encoder.ts";
export * from "./buffer_pool.ts";
export * from "./bytes.ts";
export * from "./http_grammar.ts";
export * from "./http_head.ts";
export * from "./handshake.ts";
export * from "./base64.ts";
export * from "./utf8.ts";
export * from "./message_assembler.ts";
export * from "./connection.ts";
export * from "./close_lifecycle.ts";
export * from "./short_text.ts";
export * from "./server_handshake.ts";
export * from "./permessage_deflate.ts";
export * from "./deflate_pipeline.ts";
