/**
 * The ohos WebSocket client: argument checks, the connection state machine
 * and event delivery. Bytes go through a transport; all protocol rules live
 * in `src/protocol`.
 *
 * @module
 */

import {
  buildClientRequest,
  buildDeflateOffer,
  type DeflateAgreement,
  describe,
  generateKey,
  HandshakeError,
  headerMap,
  HttpHeadReader,
  validateServerResponse,
} from "../protocol/mod.ts";
import {
  type ByteStream,
  type ConnectOptions,
  type Connector,
  decryptPrivateKey,
  defaultConnector,
  getEnv,
  isExcluded,
  isMissingFileError,
  proxyFromEnvironment,
  randomFill,
  readTextFile,
  sha1Base64,
  TLS_VERSIONS,
  type TlsConnectOptions,
} from "../transport/mod.ts";
import type { AbortSignalLike } from "../transport/types.ts";
import {
  type AsyncCallback,
  type Callback,
  type ErrorCallback,
  settle,
} from "../ohos/callbacks.ts";
import { BusinessError, ErrorCode, parameterError } from "../ohos/errors.ts";
import { consoleReporter, ListenerRegistry } from "../ohos/listeners.ts";
import { messageValue, parseCloseOptions } from "../ohos/close.ts";
import { parseSendData } from "../ohos/send_data.ts";
import { Link, type LinkEvents, type LinkProblem } from "../ohos/link.ts";
import { deflatePipeline } from "../ohos/deflate.ts";
import {
  type ConnectSettings,
  DEFAULT_MAX_SEND_SIZE,
  parseSettings,
  parseTarget,
  type Target,
} from "./request.ts";
import type {
  CloseResult,
  OpenResult,
  ResponseHeaders,
  SendData,
  WebSocket,
  WebSocketCloseOptions,
  WebSocketOpenInfo,
  WebSocketRequestOptions,
} from "./types.ts";

type ClientEvents = {
  open: AsyncCallback<OpenResult>;
  message: AsyncCallback<string | ArrayBuffer>;
  close: AsyncCallback<CloseResult>;
  error: ErrorCallback;
  dataEnd: Callback<void>;
  headerReceive: Callback<ResponseHeaders>;
  openInfo: AsyncCallback<WebSocketOpenInfo>;
};

const EVENT_NAMES: ReadonlySet<string> = new Set([
  "open",
  "message",
  "close",
  "error",
  "dataEnd",
  "headerReceive",
  "openInfo",
]);

/** Life cycle of one client; `idle` before the first connect. */
type State = "idle" | "connecting" | "open" | "closing" | "closed";

const reportListenerError = consoleReporter("client");

/** Everything that belongs to one connection attempt. */
interface Session {
  settings: ConnectSettings;
  stream: ByteStream | null;
  /** The open WebSocket (connection, heartbeat, close timer, close result) once upgraded. */
  link: Link | null;
  handshake: { reader: HttpHeadReader; key: string } | null;
  resolveConnect: ((value: boolean) => void) | null;
  rejectConnect: ((error: BusinessError<unknown>) => void) | null;
  handshakeTimer: ReturnType<typeof setTimeout> | undefined;
  /**
   * Aborted when the attempt is abandoned, so the transport closes what it
   * opened; dropped once the connection is open.
   */
  attempt: AbortController | null;
  /** Extension: set once `extSignal` aborted the attempt; the failure then says so. */
  aborted?: string;
  /** Extension: removes the `extSignal` listener (set only when a signal was given). */
  unlistenAbort?: () => void;
}

/**
 * Implementation of {@linkcode WebSocket}; create it with `createWebSocket()`.
 */
export class WebSocketClient implements WebSocket {
  readonly #events = new ListenerRegistry<ClientEvents>(EVENT_NAMES, reportListenerError);
  readonly #connector: Connector | undefined;
  /** `onOpen` listener → its registered adapter; made on first use. */
  #openAdapters: WeakMap<Callback<OpenResult>, AsyncCallback<OpenResult>> | undefined;
  #state: State = "idle";
  #session: Session | null = null;

  /** Creates a client; `connector` replaces the runtime's transport (tests, custom engines). */
  constructor(connector?: Connector) {
    this.#connector = connector;
  }

  // ------------------------------------------------------------------ connect

  /** Connects; the callback gets `(undefined, true)` once the connection is open. */
  connect(url: string, callback: AsyncCallback<boolean>): void;
  /** Connects with options; the callback gets `(undefined, true)` once open. */
  connect(url: string, options: WebSocketRequestOptions, callback: AsyncCallback<boolean>): void;
  /** Connects; resolves `true` once the connection is open. */
  connect(url: string, options?: WebSocketRequestOptions): Promise<boolean>;
  connect(url: unknown, second?: unknown, third?: unknown): Promise<boolean> | void {
    const callback = typeof second === "function" ? second : third;
    const options = typeof second === "function" ? undefined : second;
    return this.#run(callback, () => this.#connect(url, options, third));
  }

  #connect(url: unknown, options: unknown, third: unknown): Promise<boolean> {
    if (third !== undefined && typeof third !== "function") {
      throw parameterError("callback must be a function");
    }
    const target = parseTarget(url);
    const settings = parseSettings(options);
    if (this.#state === "connecting" || this.#state === "open" || this.#state === "closing") {
      throw new BusinessError(ErrorCode.ConnectionExists, "this WebSocket is already connected");
    }
    return new Promise<boolean>((resolve, reject) => {
      const session: Session = {
        settings,
        stream: null,
        link: null,
        handshake: null,
        resolveConnect: resolve,
        rejectConnect: reject,
        handshakeTimer: undefined,
        attempt: new AbortController(),
      };
      this.#session = session;
      this.#state = "connecting";
      if (settings.signal !== undefined && !this.#listenForAbort(session, settings.signal)) return;
      session.handshakeTimer = setTimeout(
        () =>
          this.#connectFailed(
            session,
            `opening handshake timed out after ${settings.handshakeTimeoutMs} ms`,
          ),
        settings.handshakeTimeoutMs,
      );
      this.#openStream(session, target).catch((error) =>
        this.#connectFailed(session, `connect failed: ${describe(error)}`)
      );
    });
  }

  /**
   * Extension: `extSignal`. False when it is already aborted (the attempt has
   * failed and opens nothing). While the transport is connecting, its own
   * signal is aborted and its rejection reports the abort, so the failure
   * comes once the sockets it opened are closed; after that, at once.
   */
  #listenForAbort(session: Session, signal: AbortSignalLike): boolean {
    const reason = () => `connect aborted: ${describe((signal as { reason?: unknown }).reason)}`;
    if (signal.aborted) {
      this.#connectFailed(session, reason());
      return false;
    }
    const onAbort = () => {
      if (session.resolveConnect === null) return;
      session.aborted = reason();
      if (session.stream === null) session.attempt?.abort();
      else this.#connectFailed(session, session.aborted);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    session.unlistenAbort = () => signal.removeEventListener("abort", onAbort);
    return true;
  }

  async #openStream(session: Session, target: Target): Promise<void> {
    let stream: ByteStream;
    let connectOptions: ConnectOptions;
    try {
      connectOptions = await connectOptionsFor(target, session.settings);
      connectOptions.signal = session.attempt!.signal;
    } catch (error) {
      this.#connectFailed(session, error);
      return;
    }
    try {
      const connector = this.#connector ?? defaultConnector(connectOptions);
      stream = await connector(connectOptions);
    } catch (error) {
      this.#connectFailed(
        session,
        session.aborted ?? `cannot connect to ${target.host}: ${describe(error)}`,
      );
      return;
    }
    if (session.resolveConnect === null) {
      // The attempt was abandoned (timeout or close) while connecting.
      stream.close();
      return;
    }
    session.stream = stream;
    const key = generateKey(randomFill);
    session.handshake = { reader: new HttpHeadReader(), key };
    stream.startReading({
      data: (chunk) => this.#onData(session, chunk),
      readTarget: () => session.link?.connection.readTarget(),
      end: (error) => this.#onEnd(session, error),
    });
    const headers = session.settings.headers;
    if (session.settings.supportOriginPort && !headers.some(([name]) => name === "origin")) {
      // The platform's option: an Origin that names the port when it is not the default.
      headers.push(["origin", `${target.secure ? "https" : "http"}://${target.host}`]);
    }
    const request = buildClientRequest({
      host: target.host,
      path: target.path,
      key,
      protocols: session.settings.protocols,
      headers,
      extensions: session.settings.deflate === undefined
        ? undefined
        : buildDeflateOffer(session.settings.deflate),
    });
    stream.write(new TextEncoder().encode(request));
    stream.drained().catch((error) =>
      this.#connectFailed(session, `cannot send the handshake: ${describe(error)}`)
    );
  }

  /**
   * Ends a connection attempt that has not opened: `error` event, then
   * rejection. `failure` is a message (code -1) or a ready `BusinessError`.
   */
  #connectFailed(session: Session, failure: unknown, status?: number): void {
    const reject = session.rejectConnect;
    if (reject === null) return;
    session.resolveConnect = session.rejectConnect = null;
    clearTimeout(session.handshakeTimer);
    session.unlistenAbort?.();
    session.attempt?.abort();
    const error = failure instanceof BusinessError
      ? failure as BusinessError<unknown>
      : status === undefined
      ? new BusinessError(ErrorCode.ConnectFailed, describe(failure))
      : new BusinessError<unknown>(ErrorCode.ConnectFailed, describe(failure), String(status));
    const finish = () => {
      if (this.#session === session) this.#state = "closed";
      this.#events.emit("error", error as BusinessError);
      reject(error);
    };
    if (session.stream === null) {
      finish();
    } else {
      // Settle only once the socket is fully released (no pending reads).
      session.stream.close();
      session.stream.finished.then(finish, finish);
    }
  }

  #onData(session: Session, chunk: Uint8Array): void {
    if (session.link !== null) {
      session.link.receive(chunk);
      return;
    }
    const handshake = session.handshake;
    if (handshake === null || session.resolveConnect === null) return;
    const result = handshake.reader.push(chunk);
    if (!result.done) return;
    if ("error" in result) {
      this.#connectFailed(session, `bad handshake response: ${result.error}`);
      return;
    }
    let accepted;
    try {
      accepted = validateServerResponse(
        result.head,
        handshake.key,
        sha1Base64,
        session.settings.protocols,
        session.settings.deflate,
      );
    } catch (error) {
      const status = error instanceof HandshakeError ? error.status : undefined;
      this.#connectFailed(session, `handshake refused: ${describe(error)}`, status);
      return;
    }
    session.handshake = null;
    if (this.#events.has("headerReceive")) {
      this.#events.emit("headerReceive", headerMap(result.head.headers));
    }
    const link = this.#becomeOpen(session, accepted);
    // Frames that came in the same read as the response.
    if (result.rest.length > 0) link.receive(result.rest);
  }

  #becomeOpen(session: Session, open: WebSocketOpenInfo & { deflate?: DeflateAgreement }): Link {
    clearTimeout(session.handshakeTimer);
    // Drop what only the opening needed; an idle connection should hold little.
    session.handshakeTimer = undefined;
    session.attempt = null;
    session.unlistenAbort?.();
    session.unlistenAbort = undefined;
    const resolve = session.resolveConnect!;
    session.resolveConnect = session.rejectConnect = null;
    const { settings } = session;
    const deflate = open.deflate === undefined
      ? undefined
      : deflatePipeline(open.deflate, "client", settings.deflate!);
    session.link = new Link(
      session.stream!,
      {
        role: "client",
        maxMessageSize: settings.maxMessageSize,
        maxMessageFragments: settings.maxMessageFragments,
        maxBufferedBytes: settings.maxBufferedBytes,
        closeTimeoutMs: settings.closeTimeoutMs,
        // The platform's pingInterval / pongTimeout are in seconds.
        heartbeat: {
          intervalMs: settings.pingIntervalS * 1000,
          timeoutMs: settings.pongTimeoutS * 1000,
        },
        notReadingReason: (buffered) =>
          `peer stopped reading: ${buffered} bytes are waiting to be written`,
        pongMissedReason: `no pong received within ${settings.pongTimeoutS} s`,
        sendFailed: sendFailure,
      },
      this.#linkEvents(session),
      deflate,
    );
    this.#state = "open";
    this.#events.emit("open", undefined as unknown as BusinessError, {
      status: open.status,
      message: open.message,
    });
    this.#events.emit(
      "openInfo",
      undefined as unknown as BusinessError,
      // The agreement is ours, not part of the platform's openInfo.
      open.deflate === undefined
        ? open
        : { status: open.status, message: open.message, protocol: open.protocol },
    );
    resolve(true);
    return session.link;
  }

  /** How the link of `session` reaches this client's state and events. */
  #linkEvents(session: Session): LinkEvents {
    return {
      message: (data) => this.#emitMessage(data),
      closing: () => {
        if (this.#session === session && this.#state === "open") this.#state = "closing";
      },
      error: (problem) =>
        this.#events.emit("error", new BusinessError(ErrorCode.Unknown, problemText(problem))),
      closed: (result) => {
        if (this.#session === session) this.#state = "closed";
        this.#events.emit("close", undefined as unknown as BusinessError, result);
      },
    };
  }

  #emitMessage(data: string | Uint8Array): void {
    this.#events.emit("message", undefined as unknown as BusinessError, messageValue(data));
    this.#events.emit("dataEnd");
  }

  #onEnd(session: Session, error: unknown): void {
    if (session.link === null) {
      const why = error === undefined ? "server closed the connection" : describe(error);
      this.#connectFailed(session, `connection ended during the handshake: ${why}`);
      return;
    }
    session.link.ended(error);
  }

  // ------------------------------------------------------------- back-pressure

  /** Extension: bytes sent and not yet handed to the operating system. */
  get extBufferedAmount(): number {
    return this.#session?.link?.buffered ?? 0;
  }

  /** Extension: resolves `true` once everything sent so far is handed to the operating system. */
  extDrained(): Promise<boolean> {
    const link = this.#session?.link;
    return link ? link.sent() : Promise.resolve(true);
  }

  // ---------------------------------------------------------------- send

  /** Sends a message; the callback gets `(undefined, true)` once it is written. */
  send(data: SendData, callback: AsyncCallback<boolean>): void;
  /** Sends a message; resolves `true` once it is written. */
  send(data: SendData): Promise<boolean>;
  send(data: unknown, callback?: unknown): Promise<boolean> | void {
    return this.#run(callback, () => this.#send(data, callback));
  }

  #send(data: unknown, callback: unknown): Promise<boolean> {
    if (callback !== undefined && typeof callback !== "function") {
      throw parameterError("callback must be a function");
    }
    const session = this.#session;
    const message = parseSendData(data, session?.settings.maxSendSize ?? DEFAULT_MAX_SEND_SIZE);
    const { payload, text, size, source } = message;
    // The shared result keeps no reference to the caller's data.
    message.payload = message.source = "";
    const link = session?.link;
    if (this.#state !== "open" || !link || link.connection.closeSent) {
      throw new BusinessError(ErrorCode.ConnectFailed, "WebSocket is not open");
    }
    if (link.buffered + size > session!.settings.maxBufferedBytes) {
      // Refuse rather than queue without bound; the caller keeps the message.
      throw new BusinessError(
        ErrorCode.Unknown,
        `send buffer full: ${link.buffered} bytes are still waiting to be written`,
      );
    }
    link.connection.sendMessage(payload, text, source);
    return link.sent();
  }

  // --------------------------------------------------------------- close

  /** Starts the close handshake with code 1000. */
  close(callback: AsyncCallback<boolean>): void;
  /** Starts the close handshake with the given code and reason. */
  close(options: WebSocketCloseOptions, callback: AsyncCallback<boolean>): void;
  /** Starts the close handshake; resolves `true` once the close frame is written. */
  close(options?: WebSocketCloseOptions): Promise<boolean>;
  close(first?: unknown, second?: unknown): Promise<boolean> | void {
    const callback = typeof first === "function" ? first : second;
    const options = typeof first === "function" ? undefined : first;
    return this.#run(callback, () => this.#close(options, second));
  }

  #close(options: unknown, second: unknown): Promise<boolean> {
    if (second !== undefined && typeof second !== "function") {
      throw parameterError("callback must be a function");
    }
    const { code, reason } = parseCloseOptions(options);
    const session = this.#session;
    if (this.#state === "connecting" && session !== null) {
      this.#connectFailed(session, "closed before the connection opened");
      return (session.stream?.finished ?? Promise.resolve()).then(() => true);
    }
    const link = session?.link;
    if (this.#state !== "open" || !link) {
      throw new BusinessError(
        ErrorCode.Unknown,
        this.#state === "idle"
          ? "WebSocket is not connected"
          : `WebSocket is already ${this.#state}`,
      );
    }
    link.close(code, reason);
    return link.stream.drained().then(() => true, (error) => {
      throw new BusinessError(ErrorCode.Unknown, `close failed: ${describe(error)}`);
    });
  }

  // ---------------------------------------------------------------- events

  /** Adds a listener (the event names and callbacks are typed by {@linkcode WebSocket}). */
  on(type: unknown, callback: unknown): void {
    this.#events.on(type, callback);
  }

  /** Removes one listener, or every listener of the event. */
  off(type: unknown, callback?: unknown): void {
    this.#events.off(type, callback);
  }

  // The SDK's static view (ArkTS 1.2): one method pair per event, on the same listener
  // lists as on/off. Only onOpen differs: its listeners take the value alone, so each gets
  // an (err, value) adapter, remembered so that offOpen can find it.

  /** Like `on("open", …)`, but `callback` is handed the value alone. */
  onOpen(callback: Callback<OpenResult>): void {
    if (typeof callback !== "function") throw parameterError("callback must be a function");
    this.#openAdapters ??= new WeakMap();
    let adapter = this.#openAdapters.get(callback);
    if (adapter === undefined) {
      adapter = (_err, value) => callback(value);
      this.#openAdapters.set(callback, adapter);
    }
    this.#events.on("open", adapter);
  }
  /** Removes one `onOpen` listener, or every `open` listener when none is given. */
  offOpen(callback?: Callback<OpenResult>): void {
    if (callback === undefined) return this.#events.off("open");
    if (typeof callback !== "function") throw parameterError("callback must be a function");
    const adapter = this.#openAdapters?.get(callback);
    if (adapter !== undefined) this.#events.off("open", adapter);
    // The list is on()'s too: a listener added with on("open", …) goes the same way.
    this.#events.off("open", callback);
  }
  /** Same as `on("message", callback)`. */
  onMessage(callback: AsyncCallback<string | ArrayBuffer>): void {
    this.#events.on("message", callback);
  }
  /** Same as `off("message", callback)`. */
  offMessage(callback?: AsyncCallback<string | ArrayBuffer>): void {
    this.#events.off("message", callback);
  }
  /** Same as `on("close", callback)`. */
  onWebSocketClose(callback: AsyncCallback<CloseResult>): void {
    this.#events.on("close", callback);
  }
  /** Same as `off("close", callback)`. */
  offWebSocketClose(callback?: AsyncCallback<CloseResult>): void {
    this.#events.off("close", callback);
  }
  /** Same as `on("error", callback)`. */
  onWebSocketError(callback: ErrorCallback): void {
    this.#events.on("error", callback);
  }
  /** Same as `off("error", callback)`. */
  offWebSocketError(callback?: ErrorCallback): void {
    this.#events.off("error", callback);
  }
  /** Same as `on("dataEnd", callback)`. */
  onDataEnd(callback: Callback<void>): void {
    this.#events.on("dataEnd", callback);
  }
  /** Same as `off("dataEnd", callback)`. */
  offDataEnd(callback?: Callback<void>): void {
    this.#events.off("dataEnd", callback);
  }
  /** Same as `on("headerReceive", callback)`. */
  onHeaderReceive(callback: Callback<ResponseHeaders>): void {
    this.#events.on("headerReceive", callback);
  }
  /** Same as `off("headerReceive", callback)`. */
  offHeaderReceive(callback?: Callback<ResponseHeaders>): void {
    this.#events.off("headerReceive", callback);
  }

  // --------------------------------------------------------------- helpers

  /** Runs a method body; argument errors thrown by it fail the callback or promise. */
  #run(callback: unknown, body: () => Promise<boolean>): Promise<boolean> | void {
    let work: Promise<boolean>;
    try {
      work = body();
    } catch (error) {
      work = Promise.reject(error);
    }
    const cb = typeof callback === "function"
      ? callback as AsyncCallback<boolean, unknown>
      : undefined;
    return settle(work, cb, (error) => reportListenerError("callback", error));
  }
}

/** The `error` event's message for a problem of the open link. */
function problemText(problem: LinkProblem): string {
  switch (problem.kind) {
    case "protocol":
      return `peer broke the protocol (closing with ${problem.error.closeCode}): ${problem.error.message}`;
    case "not-reading":
      return problem.reason;
    case "pong-missed":
      return `heartbeat failed: ${problem.reason}`;
    case "lost":
      return `connection lost: ${describe(problem.error)}`;
  }
}

/**
 * Resolves what the transport needs: certificate files read (a missing one
 * is 2302002), TLS policy, and the proxy (explicit, or from the environment
 * for `'system'`), honouring the exclusion list.
 */
async function connectOptionsFor(
  target: Target,
  settings: ConnectSettings,
): Promise<ConnectOptions> {
  const options: ConnectOptions = { hostname: target.hostname, port: target.port };
  if (target.secure) {
    const tls: TlsConnectOptions = { serverName: target.hostname };
    const config = settings.tls;
    if (config.caPath !== undefined) tls.caCerts = [await readCertificateFile(config.caPath)];
    if (config.clientCert !== undefined) {
      tls.certChain = await readCertificateFile(config.clientCert.certPath);
      const key = await readCertificateFile(config.clientCert.keyPath);
      const password = config.clientCert.keyPassword;
      try {
        // Decrypt up front: a wrong password must fail here, never connect without the cert.
        tls.privateKey = password === undefined ? key : await decryptPrivateKey(key, password);
      } catch (error) {
        throw new BusinessError(
          ErrorCode.ConnectFailed,
          `cannot decrypt the client key ${config.clientCert.keyPath}: ${describe(error)}`,
        );
      }
    }
    if (config.skipServerCertVerification) tls.verify = false;
    if (config.minTlsVersion !== undefined) tls.minVersion = TLS_VERSIONS[config.minTlsVersion];
    options.tls = tls;
  }
  const proxy = settings.proxy;
  if (proxy === "system") {
    let fromEnv;
    try {
      fromEnv = proxyFromEnvironment(getEnv, target.secure, target.hostname);
    } catch (error) {
      throw new BusinessError(ErrorCode.ConnectFailed, `system proxy: ${describe(error)}`);
    }
    if (fromEnv !== undefined) options.proxy = fromEnv;
  } else if (proxy !== "no-proxy" && !isExcluded(target.hostname, proxy.exclusionList)) {
    options.proxy = {
      hostname: proxy.host.replace(/^\[|\]$/g, ""),
      port: proxy.port,
      credentials: proxy.credentials,
    };
  }
  return options;
}

async function readCertificateFile(path: string): Promise<string> {
  try {
    return await readTextFile(path);
  } catch (error) {
    if (isMissingFileError(error)) {
      throw new BusinessError(
        ErrorCode.CertificateFileMissing,
        `certificate file ${path} does not exist`,
      );
    }
    throw new BusinessError(ErrorCode.ConnectFailed, `cannot read ${path}: ${describe(error)}`);
  }
}

/** The error a `send` rejects with when its frame could not be written. */
function sendFailure(error: unknown): Error {
  return new BusinessError(ErrorCode.ConnectFailed, `send failed: ${describe(error)}`);
}
