/**
 * The ohos WebSocket server (API 19): listening, the server side of the
 * opening handshake, connection limits, events and shutdown. Bytes come from
 * a transport listener; every RFC 6455 rule lives in `src/protocol`.
 *
 * @module
 */

import {
  buildAcceptResponse,
  buildRefusalResponse,
  checkUpgradeRequest,
  CloseCode,
  type CloseInfo,
  HttpHeadReader,
  ProtocolConnection,
  type ProtocolError,
  type RefusalStatus,
  selectSubprotocol,
} from "../protocol/mod.ts";
import {
  type ByteStream,
  defaultListen,
  type Listen,
  ListenError,
  randomFill,
  type StreamListener,
} from "../transport/mod.ts";
import type { Callback, ErrorCallback } from "../ohos/callbacks.ts";
import { BusinessError, ErrorCode, parameterError } from "../ohos/errors.ts";
import { consoleReporter, ListenerRegistry } from "../ohos/listeners.ts";
import { parseConnection, parseServerConfig, type ServerSettings } from "./config.ts";
import type { CloseResult, WebSocketCloseOptions } from "../ohos/close.ts";
import { abnormalClose, describe, messageValue, parseCloseOptions } from "../ohos/close.ts";
import { parseSendData } from "../ohos/send_data.ts";
import { messageStepPool } from "../ohos/inbound.ts";
import { framePool, writeFrame } from "../ohos/outbound.ts";
import type {
  ClientConnectionCloseCallback,
  ServerSendData,
  WebSocketConnection,
  WebSocketMessage,
  WebSocketServer,
  WebSocketServerConfig,
} from "./types.ts";

type ServerEvents = {
  connect: Callback<WebSocketConnection>;
  messageReceive: Callback<WebSocketMessage>;
  close: ClientConnectionCloseCallback;
  error: ErrorCallback;
};

const EVENT_NAMES: ReadonlySet<string> = new Set(["connect", "messageReceive", "close", "error"]);

/** The close a server sends to every client when it stops. */
const GOING_AWAY = { code: CloseCode.GoingAway, reason: "server is going away" };

const encoder = new TextEncoder();

const reportListenerError = consoleReporter("server");

/**
 * Where one accepted TCP/TLS connection stands. `handshake`: waiting for the
 * upgrade request. `refusing`: an HTTP error answer is on its way out.
 * `open`: WebSocket traffic. `closing`: a close frame was sent or received,
 * or the client broke a rule. `ended`: the socket is gone.
 */
type Phase = "handshake" | "refusing" | "open" | "closing" | "ended";

/** Everything that belongs to one accepted connection. */
interface Client {
  readonly stream: ByteStream;
  /** The object handed to listeners and returned by `listAllConnections`. */
  readonly info: Readonly<WebSocketConnection>;
  /** Lookup key for `send`/`close`: IP and port. */
  readonly id: string;
  /** The client's address as counted by `maxConnectionsForOneClient`. */
  readonly ipKey: string;
  phase: Phase;
  reader: HttpHeadReader | null;
  connection: ProtocolConnection | null;
  /** Handshake deadline, or how long a refusal may linger. */
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Deadline for the client's close frame and TCP end. */
  closeTimer: ReturnType<typeof setTimeout> | undefined;
  /** What the close event will report; first writer wins. */
  closeResult: CloseResult | null;
  lastWrite: Promise<void>;
  /** Bytes handed to the transport and not yet written (see `maxBufferedBytes`). */
  buffered: number;
  /** Dropped for not reading: nothing more is written to or read from it. */
  dropped: boolean;
}

/** One `start` … `stop` cycle: a listener and the clients it accepted. */
interface Run {
  readonly settings: ServerSettings;
  readonly listener: StreamListener;
  /** Every accepted connection that has not ended, in any phase. */
  readonly clients: Set<Client>;
  /** Upgraded connections (open or closing) by id; these count against the limits. */
  readonly upgraded: Map<string, Client>;
}

/** Clients reached over IPv4-mapped IPv6 (`::ffff:1.2.3.4`) count as their IPv4 address. */
function ipKeyOf(ip: string): string {
  return ip.toLowerCase().startsWith("::ffff:") && ip.includes(".") ? ip.slice(7) : ip;
}

function idOf(clientIP: string, clientPort: number): string {
  return `${clientIP}|${clientPort}`;
}

function label(info: WebSocketConnection): string {
  const host = info.clientIP.includes(":") ? `[${info.clientIP}]` : info.clientIP;
  return `${host}:${info.clientPort}`;
}

/**
 * Implementation of {@linkcode WebSocketServer}; create it with
 * `createWebSocketServer()`.
 */
export class WebSocketServerImpl implements WebSocketServer {
  readonly #events = new ListenerRegistry<ServerEvents>(EVENT_NAMES, reportListenerError);
  readonly #listen: Listen;
  #state: "idle" | "starting" | "running" | "stopping" = "idle";
  #run: Run | null = null;
  #stopping: Promise<boolean> | null = null;

  /** @param listen transport that binds the port; defaults to the runtime's (Deno or Node) */
  constructor(listen: Listen = defaultListen()) {
    this.#listen = listen;
  }

  // ------------------------------------------------------------------ start

  /** Starts listening; resolves `true` once the port is bound. */
  start(config: WebSocketServerConfig): Promise<boolean> {
    return attempt(() => this.#start(config));
  }

  async #start(config: unknown): Promise<boolean> {
    const settings = parseServerConfig(config);
    if (this.#state !== "idle") {
      throw new BusinessError(
        ErrorCode.Unknown,
        this.#state === "running"
          ? "the server is already running; stop() it before starting it again"
          : `the server is ${this.#state}; wait for that to finish`,
      );
    }
    this.#state = "starting";
    let listener: StreamListener;
    try {
      listener = await this.#listen({
        hostname: settings.hostname,
        port: settings.port,
        tls: settings.tls,
      });
    } catch (error) {
      this.#state = "idle";
      throw listenFailure(error, settings);
    }
    // stop() reports a failed accept loop; never leave the rejection unhandled meanwhile.
    listener.finished.catch(() => {});
    const run: Run = { settings, listener, clients: new Set(), upgraded: new Map() };
    this.#run = run;
    this.#state = "running";
    listener.startAccepting({
      accept: (stream) => this.#onAccept(run, stream),
      error: (error) =>
        this.#events.emit(
          "error",
          new BusinessError(ErrorCode.Unknown, `accepting a connection failed: ${describe(error)}`),
        ),
    });
    return true;
  }

  /** Where the server listens while it runs; not on the platform. */
  address(): { serverIP: string; serverPort: number } | undefined {
    const run = this.#state === "running" ? this.#run : null;
    if (run === null) return undefined;
    return { serverIP: run.listener.address.hostname, serverPort: run.listener.address.port };
  }

  // -------------------------------------------------------------- handshake

  #onAccept(run: Run, stream: ByteStream): void {
    if (this.#run !== run || this.#state !== "running") {
      stream.close();
      return;
    }
    const { hostname, port } = stream.remoteAddress;
    const ipKey = ipKeyOf(hostname);
    if (this.#tooManyInHandshake(run, ipKey)) {
      // Idle or slow sockets must not pile up until their handshake timeout ends them.
      stream.close();
      return;
    }
    const client: Client = {
      stream,
      info: Object.freeze({ clientIP: hostname, clientPort: port }),
      id: idOf(hostname, port),
      ipKey,
      phase: "handshake",
      reader: new HttpHeadReader(),
      connection: null,
      timer: undefined,
      closeTimer: undefined,
      closeResult: null,
      lastWrite: Promise.resolve(),
      buffered: 0,
      dropped: false,
    };
    run.clients.add(client);
    // A rejection here surfaces through the read side ending; never leave it unhandled.
    stream.finished.catch(() => {});
    // Slow-loris guard: the TLS handshake and the whole request must arrive in time.
    client.timer = setTimeout(() => stream.close(), run.settings.handshakeTimeoutMs);
    stream.startReading({
      data: (chunk) => this.#onData(run, client, chunk),
      readTarget: () => client.connection?.readTarget(),
      end: (error) => this.#onEnd(run, client, error),
    });
  }

  /**
   * True when accepting one more socket that has not finished its handshake would
   * pass `2 × maxConcurrentClientsNumber + 16` overall or
   * `2 × maxConnectionsForOneClient + 4` from one IP address.
   */
  #tooManyInHandshake(run: Run, ipKey: string): boolean {
    const { maxClients, maxPerClient } = run.settings;
    // Every client that is not upgraded is in the handshake or being refused.
    if (run.clients.size - run.upgraded.size >= 2 * maxClients + 16) return true;
    let fromSameIp = 0;
    for (const other of run.clients) {
      if (other.connection === null && other.ipKey === ipKey) fromSameIp++;
    }
    return fromSameIp >= 2 * maxPerClient + 4;
  }

  #onData(run: Run, client: Client, chunk: Uint8Array): void {
    if (client.dropped) return;
    if (client.phase === "open" || client.phase === "closing") {
      client.connection!.receive(chunk);
    } else if (client.phase === "handshake") {
      this.#onHandshakeData(run, client, chunk);
    }
    // `refusing`: whatever else the client sends is read and dropped.
  }

  #onHandshakeData(run: Run, client: Client, chunk: Uint8Array): void {
    const result = client.reader!.push(chunk);
    if (!result.done) return;
    client.reader = null;
    if ("error" in result) {
      this.#refuse(run, client, 400, `not a valid HTTP request: ${result.error}`);
      return;
    }
    const check = checkUpgradeRequest(result.head);
    if (!check.ok) {
      this.#refuse(run, client, check.status, check.reason);
      return;
    }
    if (this.#run !== run || this.#state !== "running") {
      this.#refuse(run, client, 503, "the server is shutting down");
      return;
    }
    // Limits are checked only now, so a refused client gets an HTTP answer, and only
    // upgraded connections count: half-open sockets can't crowd out real clients.
    const { maxClients, maxPerClient } = run.settings;
    if (run.upgraded.size >= maxClients) {
      this.#refuse(
        run,
        client,
        503,
        `the server already has ${maxClients} clients (maxConcurrentClientsNumber)`,
      );
      return;
    }
    let fromSameIp = 0;
    for (const other of run.upgraded.values()) if (other.ipKey === client.ipKey) fromSameIp++;
    if (fromSameIp >= maxPerClient) {
      this.#refuse(
        run,
        client,
        503,
        `${client.info.clientIP} already has ${maxPerClient} connections (maxConnectionsForOneClient)`,
      );
      return;
    }
    this.#upgrade(run, client, check.request.key, check.request.protocols, result.rest);
  }

  #upgrade(
    run: Run,
    client: Client,
    key: string,
    offered: string[],
    rest: Uint8Array,
  ): void {
    clearTimeout(client.timer);
    client.timer = undefined;
    const protocol = selectSubprotocol(offered, run.settings.protocols);
    client.stream.write(encoder.encode(buildAcceptResponse({ key, protocol }))).catch(() => {});
    const connection = new ProtocolConnection(
      {
        role: "server",
        maxMessageSize: run.settings.maxMessageSize,
        maxMessageFragments: run.settings.maxMessageFragments,
        random: randomFill,
        pool: framePool,
        messagePool: messageStepPool,
      },
      {
        write: (bytes) => {
          if (client.dropped) return;
          if (!writeFrame(client.stream, client, bytes, run.settings.maxBufferedBytes)) {
            this.#clientNotReading(client);
          }
        },
        message: (data) => this.#emitMessage(client, data),
        peerClose: (info) => this.#onPeerClose(run, client, info),
        fail: (error) => this.#onProtocolError(run, client, error),
      },
    );
    client.connection = connection;
    client.phase = "open";
    run.upgraded.set(client.id, client);
    this.#events.emit("connect", client.info);
    // Frames the client sent right behind its request.
    if (rest.length > 0) connection.receive(rest);
  }

  /**
   * Answers with an HTTP error and half-closes. The socket stays readable
   * (input is dropped) until the client hangs up or `closeTimeoutMs` passes:
   * closing it with unread input would reset the connection and could destroy
   * the answer before the client reads it.
   */
  #refuse(run: Run, client: Client, status: RefusalStatus, reason: string): void {
    clearTimeout(client.timer);
    client.phase = "refusing";
    client.stream.write(encoder.encode(buildRefusalResponse(status, reason))).catch(() => {});
    client.stream.closeWrite();
    client.timer = setTimeout(() => client.stream.close(), run.settings.closeTimeoutMs);
  }

  // ---------------------------------------------------------------- traffic

  /**
   * Automatic frames (pongs, close) overflowed the send buffer: the client keeps
   * sending and never reads. Drop it rather than queue without bound.
   */
  #clientNotReading(client: Client): void {
    client.dropped = true;
    if (client.phase === "open") client.phase = "closing";
    const reason =
      `client stopped reading: ${client.buffered} bytes are waiting to be written (maxBufferedBytes)`;
    client.closeResult ??= { code: CloseCode.Abnormal, reason };
    this.#events.emit(
      "error",
      new BusinessError(ErrorCode.Unknown, `dropped ${label(client.info)}: ${reason}`),
    );
    client.stream.close();
  }

  #emitMessage(client: Client, data: string | Uint8Array): void {
    this.#events.emit("messageReceive", {
      clientConnection: client.info,
      data: messageValue(data),
    });
  }

  #onPeerClose(run: Run, client: Client, info: CloseInfo): void {
    client.closeResult ??= { code: info.code, reason: info.reason };
    this.#awaitTcpEnd(run, client);
  }

  #onProtocolError(run: Run, client: Client, error: ProtocolError): void {
    client.closeResult ??= { code: error.closeCode, reason: error.message };
    this.#events.emit(
      "error",
      new BusinessError(
        ErrorCode.Unknown,
        `client ${
          label(client.info)
        } broke the protocol (closing with ${error.closeCode}): ${error.message}`,
      ),
    );
    this.#awaitTcpEnd(run, client);
  }

  /**
   * The close handshake is over (or failed): our close frame is out. The
   * server ends TCP first (RFC 6455 section 7.1.1) with a half-close, then
   * gives the client a bounded time to hang up.
   */
  #awaitTcpEnd(run: Run, client: Client): void {
    if (client.phase === "open") client.phase = "closing";
    client.stream.closeWrite();
    this.#armCloseTimer(run, client);
  }

  #armCloseTimer(run: Run, client: Client): void {
    if (client.closeTimer !== undefined) return;
    const ms = run.settings.closeTimeoutMs;
    client.closeTimer = setTimeout(() => {
      client.closeResult ??= {
        code: CloseCode.Abnormal,
        reason: `client did not complete the close handshake within ${ms} ms`,
      };
      client.stream.close();
    }, ms);
  }

  #onEnd(run: Run, client: Client, error: unknown): void {
    clearTimeout(client.timer);
    clearTimeout(client.closeTimer);
    client.stream.close();
    client.phase = "ended";
    run.clients.delete(client);
    const connection = client.connection;
    // Before the upgrade nobody was told of this client, so its end is silent.
    if (connection === null) return;
    run.upgraded.delete(client.id);
    if (error !== undefined && client.closeResult === null) {
      this.#events.emit(
        "error",
        new BusinessError(
          ErrorCode.Unknown,
          `connection to ${label(client.info)} lost: ${describe(error)}`,
        ),
      );
    }
    const result = client.closeResult ?? abnormalClose(connection.atFrameBoundary);
    this.#events.emit("close", client.info, result);
  }

  /** The open client with this address, or a 2302006 error. */
  #openClient(connection: unknown): Client {
    const { clientIP, clientPort } = parseConnection(connection);
    const client = this.#run?.upgraded.get(idOf(clientIP, clientPort));
    if (client === undefined || client.phase !== "open" || client.connection!.closeSent) {
      throw new BusinessError(
        ErrorCode.ConnectionNotFound,
        `no open connection from ${label({ clientIP, clientPort })}`,
      );
    }
    return client;
  }

  // ------------------------------------------------------------ public ops

  /** The open connections (those that have not started closing). */
  listAllConnections(): WebSocketConnection[] {
    const run = this.#run;
    if (run === null) return [];
    return [...run.upgraded.values()].filter((c) => c.phase === "open").map((c) => c.info);
  }

  /** Sends one message to one client; resolves `true` once it is written. */
  send(data: ServerSendData, connection: WebSocketConnection): Promise<boolean> {
    return attempt(() => this.#send(data, connection));
  }

  #send(data: unknown, connection: unknown): Promise<boolean> {
    const message = parseSendData(data, this.#run?.settings.maxSendSize ?? Infinity);
    const client = this.#openClient(connection);
    const limit = this.#run!.settings.maxBufferedBytes;
    if (client.buffered + message.size > limit) {
      // Refuse rather than queue without bound; the caller keeps the message.
      throw new BusinessError(
        ErrorCode.Unknown,
        `send buffer full: ${client.buffered} bytes for ${
          label(client.info)
        } are still waiting to be written (maxBufferedBytes ${limit})`,
      );
    }
    client.connection!.sendMessage(message.payload, message.text);
    return client.lastWrite.then(() => true, (error) => {
      throw new BusinessError(
        ErrorCode.Unknown,
        `send to ${label(client.info)} failed: ${describe(error)}`,
      );
    });
  }

  /** Starts closing one client (default code 1000); resolves `true` once the close frame is written. */
  close(connection: WebSocketConnection, options?: WebSocketCloseOptions): Promise<boolean> {
    return attempt(() => this.#close(connection, options));
  }

  #close(connection: unknown, options: unknown): Promise<boolean> {
    const { code, reason } = parseCloseOptions(options);
    const client = this.#openClient(connection);
    this.#startClose(this.#run!, client, code, reason);
    return client.lastWrite.then(() => true, (error) => {
      throw new BusinessError(
        ErrorCode.Unknown,
        `closing ${label(client.info)} failed: ${describe(error)}`,
      );
    });
  }

  #startClose(run: Run, client: Client, code: number, reason: string): void {
    client.connection!.close(code, reason);
    client.phase = "closing";
    this.#armCloseTimer(run, client);
  }

  /**
   * Closes every client with 1001 "server is going away", waits (bounded by
   * `closeTimeoutMs`) for them to answer, and releases the port.
   */
  stop(): Promise<boolean> {
    return attempt(() => this.#stop());
  }

  #stop(): Promise<boolean> {
    // Checked with the state: a body that failed at once may have run its finally first.
    if (this.#state === "stopping" && this.#stopping !== null) return this.#stopping;
    const run = this.#run;
    if (this.#state !== "running" || run === null) {
      throw new BusinessError(ErrorCode.Unknown, `the server is not running (${this.#state})`);
    }
    this.#state = "stopping";
    this.#stopping = (async () => {
      // Whatever fails below, the server must not stay "stopping" forever.
      try {
        // The port is released first, so a new start() can bind it while clients close.
        run.listener.close();
        try {
          await run.listener.finished;
        } catch (error) {
          this.#events.emit(
            "error",
            new BusinessError(ErrorCode.Unknown, `the listener failed: ${describe(error)}`),
          );
        }
        for (const client of [...run.clients]) {
          if (client.phase === "open") {
            this.#startClose(run, client, GOING_AWAY.code, GOING_AWAY.reason);
          } else if (client.phase === "handshake" || client.phase === "refusing") {
            client.stream.close();
          }
          // `closing` clients already have a close timer running.
        }
        // Each stream's read loop ends by the close timer at the latest.
        await Promise.allSettled([...run.clients].map((client) => client.stream.finished));
        return true;
      } finally {
        this.#run = null;
        this.#state = "idle";
        this.#stopping = null;
      }
    })();
    return this.#stopping;
  }

  // ----------------------------------------------------------------- events

  /** A client completed the handshake. */
  on(type: "connect", callback: Callback<WebSocketConnection>): void;
  /** A client sent a message. */
  on(type: "messageReceive", callback: Callback<WebSocketMessage>): void;
  /** A client's connection ended (close handshake, failure or lost link). */
  on(type: "close", callback: ClientConnectionCloseCallback): void;
  /** Something went wrong that no Promise reports. */
  on(type: "error", callback: ErrorCallback): void;
  on(type: unknown, callback: unknown): void {
    this.#events.on(type, callback);
  }

  /** Removes one `connect` listener, or all of them. */
  off(type: "connect", callback?: Callback<WebSocketConnection>): void;
  /** Removes one `messageReceive` listener, or all of them. */
  off(type: "messageReceive", callback?: Callback<WebSocketMessage>): void;
  /** Removes one `close` listener, or all of them. */
  off(type: "close", callback?: ClientConnectionCloseCallback): void;
  /** Removes one `error` listener, or all of them. */
  off(type: "error", callback?: ErrorCallback): void;
  off(type: unknown, callback?: unknown): void {
    this.#events.off(type, callback);
  }
}

/** Runs a method body; an error it throws (argument checks) becomes a rejection. */
function attempt(body: () => Promise<boolean>): Promise<boolean> {
  try {
    return body();
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Maps a transport listen failure to the platform's error codes. */
function listenFailure(error: unknown, settings: ServerSettings): BusinessError {
  const where = `${settings.hostname}:${settings.port}`;
  const why = describe(error);
  if (!(error instanceof ListenError)) {
    return new BusinessError(ErrorCode.CannotListenOnPort, `cannot listen on ${where}: ${why}`);
  }
  switch (error.kind) {
    case "address-in-use":
      return new BusinessError(
        ErrorCode.PortInUse,
        `port ${settings.port} is already in use: ${why}`,
      );
    case "address-unavailable":
      return new BusinessError(
        ErrorCode.CannotListenOnInterface,
        `${settings.hostname} is not an address of this machine: ${why}`,
      );
    case "certificate-missing":
      return new BusinessError(ErrorCode.CertificateFileMissing, why);
    case "certificate-invalid":
      return parameterError(`serverCert cannot be used: ${why}`);
    default:
      return new BusinessError(ErrorCode.CannotListenOnPort, `cannot listen on ${where}: ${why}`);
  }
}
