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
  concatBytes,
  describe,
  encodePlainAcceptResponse,
  HttpHeadReader,
  type RefusalStatus,
  RequestLineScanner,
  selectDeflateOffer,
  selectSubprotocol,
  type UpgradeRequest,
} from "../protocol/mod.ts";
import { deflatePipeline } from "../ohos/deflate.ts";
import {
  allocateInternal,
  type ByteStream,
  type ByteStreamReader,
  defaultListen,
  type Listen,
  ListenError,
  sha1Base64,
  type StreamListener,
} from "../transport/mod.ts";
import type { Callback, ErrorCallback } from "../ohos/callbacks.ts";
import { BusinessError, ErrorCode, parameterError } from "../ohos/errors.ts";
import { consoleReporter, ListenerRegistry } from "../ohos/listeners.ts";
import {
  parseAttachConfig,
  parseConnection,
  parseServerConfig,
  type ServerSettings,
} from "./config.ts";
import type { WebSocketCloseOptions } from "../ohos/close.ts";
import { messageValue, parseCloseOptions } from "../ohos/close.ts";
import { isPlainShortText, parseSendData } from "../ohos/send_data.ts";
import { Link, type LinkEvents, type LinkProblem, type LinkSettings } from "../ohos/link.ts";
import type { CloseResult } from "../ohos/close.ts";
import { type Alarm, sharedAlarmClock } from "../ohos/alarms.ts";
import type {
  ClientConnectionCloseCallback,
  ServerSendData,
  UpgradeRequestHead,
  UpgradeSocket,
  UpgradeSource,
  WebSocketAttachConfig,
  WebSocketConnection,
  WebSocketMessage,
  WebSocketServer,
  WebSocketServerConfig,
} from "./types.ts";
import { type GateOutcome, UpgradeGate } from "./upgrade_gate.ts";
import { AttachedListener, refuseUpgrade } from "./attach.ts";
import { AddressCounts } from "./address_counts.ts";

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
 * upgrade request. `gating`: the upgrade gate (an extension) is deciding it.
 * `refusing`: an HTTP error answer is on its way out.
 * `open`: WebSocket traffic. `closing`: a close frame was sent or received,
 * or the client broke a rule. `ended`: the socket is gone.
 */
type Phase = "handshake" | "gating" | "refusing" | "open" | "closing" | "ended";

/** Where a {@linkcode Client} reports what its stream and link tell it; one per server. */
interface ClientOwner {
  data(client: Client, chunk: Uint8Array): void;
  end(client: Client, error: unknown): void;
  message(client: Client, data: string | Uint8Array): void;
  problem(client: Client, problem: LinkProblem): void;
  closed(client: Client, result: CloseResult): void;
}

/**
 * Everything that belongs to one accepted connection. It is the reader of
 * its stream and the event sink of its link itself (methods, not closures),
 * so an idle connection costs as few objects as can be.
 */
class Client implements ByteStreamReader, LinkEvents, Alarm {
  readonly run: Run;
  readonly stream: ByteStream;
  /** The object handed to listeners and returned by `listAllConnections`. */
  readonly info: Readonly<WebSocketConnection>;
  /** Lookup key for `send`/`close`: IP and port. */
  readonly id: string;
  /** The client's address as counted by `maxConnectionsForOneClient`. */
  readonly ipKey: string;
  phase: Phase = "handshake";
  /** Watches the first bytes until the request line is complete, to refuse garbage at once. */
  requestLine: RequestLineScanner | null = new RequestLineScanner();
  reader: HttpHeadReader | null = new HttpHeadReader();
  /** The open WebSocket (connection, heartbeat, close timer, close result) once upgraded. */
  link: Link | null = null;
  /** @internal Owned by the alarm clock: the handshake deadline, or how long a refusal may linger. */
  alarmSlot: unknown = null;
  readonly #owner: ClientOwner;

  constructor(run: Run, stream: ByteStream, owner: ClientOwner) {
    this.run = run;
    this.stream = stream;
    this.#owner = owner;
    const { hostname, port } = stream.remoteAddress;
    this.info = Object.freeze({ clientIP: hostname, clientPort: port });
    this.id = idOf(hostname, port);
    this.ipKey = ipKeyOf(hostname);
  }

  /** The handshake deadline passed, or a refused client lingered long enough. */
  fire(): void {
    this.stream.close();
  }

  // ByteStreamReader
  data(chunk: Uint8Array): void {
    this.#owner.data(this, chunk);
  }
  readTarget(): Uint8Array | undefined {
    return this.link?.connection.readTarget();
  }
  end(error?: unknown): void {
    this.#owner.end(this, error);
  }

  // LinkEvents
  message(data: string | Uint8Array): void {
    this.#owner.message(this, data);
  }
  closing(): void {
    if (this.phase === "open") this.phase = "closing";
  }
  error(problem: LinkProblem): void {
    this.#owner.problem(this, problem);
  }
  closed(result: CloseResult): void {
    this.#owner.closed(this, result);
  }
}

/** One `start` … `stop` cycle: a listener and the clients it accepted. */
interface Run {
  readonly settings: ServerSettings;
  readonly listener: StreamListener;
  /** Every accepted connection that has not ended, in any phase. */
  readonly clients: Set<Client>;
  /** Upgraded connections (open or closing) by id; these count against the limits. */
  readonly upgraded: Map<string, Client>;
  /**
   * Upgraded clients by the frozen `info` object handed out for them, so that
   * `send`/`close` with that very object skip the argument check and the id lookup.
   */
  readonly byInfo: WeakMap<object, Client>;
  /** One settings object for the links of all clients of this run. */
  readonly linkSettings: LinkSettings;
  /** Extension: the Origin allow-list and upgrade gate, when configured. */
  readonly gate: UpgradeGate | null;
  /** Bytes that gating clients sent behind their request, until the gate decides. */
  readonly held: Map<Client, Uint8Array[]>;
  /** Clients not upgraded (in the handshake, gating or being refused) per address key. */
  readonly notUpgradedFrom: AddressCounts;
  /** Upgraded clients (open or closing) per address key. */
  readonly upgradedFrom: AddressCounts;
}

/** Most bytes a client may send behind its request while the gate decides. */
const MAX_HELD_BYTES = 64 * 1024;

/** Clients reached over IPv4-mapped IPv6 (`::ffff:1.2.3.4`) count as their IPv4 address. */
function ipKeyOf(ip: string): string {
  return ip.toLowerCase().startsWith("::ffff:") && ip.includes(".") ? ip.slice(7) : ip;
}

function idOf(clientIP: string, clientPort: number): string {
  return `${clientIP}|${clientPort}`;
}

function label(info: WebSocketConnection): string {
  return labelOf(info.clientIP, info.clientPort);
}

function labelOf(ip: string, port: number): string {
  return `${ip.includes(":") ? `[${ip}]` : ip}:${port}`;
}

/** The settings every link of a run shares. */
function linkSettingsOf(settings: ServerSettings): LinkSettings {
  return {
    role: "server",
    maxMessageSize: settings.maxMessageSize,
    maxMessageFragments: settings.maxMessageFragments,
    maxBufferedBytes: settings.maxBufferedBytes,
    closeTimeoutMs: settings.closeTimeoutMs,
    heartbeat: { intervalMs: settings.pingIntervalMs, timeoutMs: settings.pongTimeoutMs },
    notReadingReason: (buffered) =>
      `client stopped reading: ${buffered} bytes are waiting to be written (maxBufferedBytes)`,
    pongMissedReason: `no pong received within ${settings.pongTimeoutMs} ms (pongTimeoutMs)`,
    sendFailed: (error, peer) =>
      new BusinessError(
        ErrorCode.Unknown,
        `send to ${labelOf(peer.hostname, peer.port)} failed: ${describe(error)}`,
      ),
  };
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
  /** How the clients of this server reach it (one object, not closures per client). */
  readonly #owner: ClientOwner = {
    data: (client, chunk) => this.#onData(client.run, client, chunk),
    end: (client, error) => this.#onEnd(client.run, client, error),
    message: (client, data) => this.#emitMessage(client, data),
    problem: (client, problem) =>
      this.#events.emit(
        "error",
        new BusinessError(ErrorCode.Unknown, problemText(client.info, problem)),
      ),
    closed: (client, result) => this.#events.emit("close", client.info, result),
  };

  /** @param listen transport that binds the port; defaults to the runtime's (Deno or Node) */
  constructor(listen: Listen = defaultListen()) {
    this.#listen = listen;
  }

  // ------------------------------------------------------------------ start

  /** Starts listening; resolves `true` once the port is bound. */
  start(config: WebSocketServerConfig): Promise<boolean> {
    return attempt(() => this.#start(config));
  }

  async #start(
    config: unknown,
    listen: Listen = this.#listen,
    settings: ServerSettings = parseServerConfig(config),
  ): Promise<boolean> {
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
      listener = await listen({
        hostname: settings.hostname,
        port: settings.port,
        tls: settings.tls,
        // The heartbeat notices vanished clients; without it, let the kernel probe.
        keepAlive: settings.pingIntervalMs === 0,
        reusePort: settings.reusePort,
      });
    } catch (error) {
      this.#state = "idle";
      throw listenFailure(error, settings);
    }
    // stop() reports a failed accept loop; never leave the rejection unhandled meanwhile.
    listener.finished.catch(() => {});
    const run: Run = {
      settings,
      listener,
      clients: new Set(),
      upgraded: new Map(),
      byInfo: new WeakMap(),
      linkSettings: linkSettingsOf(settings),
      gate: settings.allowedOrigins === undefined && settings.gate === undefined
        ? null
        : new UpgradeGate(settings.allowedOrigins, settings.gate),
      held: new Map(),
      notUpgradedFrom: new AddressCounts(),
      upgradedFrom: new AddressCounts(),
    };
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

  /** Extension: serves the upgrades of an HTTP server instead of a port of its own. */
  extAttach(httpServer: UpgradeSource | null, config?: WebSocketAttachConfig): Promise<boolean> {
    return attempt(() => {
      if (httpServer !== null && typeof httpServer?.on !== "function") {
        throw parameterError("httpServer must be an HTTP server (with on/off) or null");
      }
      const settings = parseAttachConfig(config);
      return this.#start(config, () => Promise.resolve(new AttachedListener(httpServer)), settings);
    });
  }

  /** Extension: hands one `upgrade` event to the attached server. */
  extHandleUpgrade(request: UpgradeRequestHead, socket: UpgradeSocket, head: Uint8Array): boolean {
    const listener = this.#state === "running" ? this.#run?.listener : undefined;
    if (!(listener instanceof AttachedListener)) {
      refuseUpgrade(socket);
      return false;
    }
    return listener.handle(request, socket, head);
  }

  /** Extension: bytes queued for an open connection and not yet written. */
  extBufferedAmount(connection: WebSocketConnection): number {
    return this.#openClient(connection).link!.buffered;
  }

  /** Extension: resolves `true` once what is queued for an open connection is written. */
  extDrained(connection: WebSocketConnection): Promise<boolean> {
    return attempt(() => this.#openClient(connection).link!.sent());
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
    if (this.#tooManyInHandshake(run, ipKeyOf(stream.remoteAddress.hostname))) {
      // Idle or slow sockets must not pile up until their handshake timeout ends them.
      stream.close();
      return;
    }
    const client = new Client(run, stream, this.#owner);
    run.clients.add(client);
    run.notUpgradedFrom.add(client.ipKey);
    // Slow-loris guard: the TLS handshake and the whole request must arrive in time.
    sharedAlarmClock.set(client, run.settings.handshakeTimeoutMs);
    stream.startReading(client);
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
    return run.notUpgradedFrom.of(ipKey) >= 2 * maxPerClient + 4;
  }

  #onData(run: Run, client: Client, chunk: Uint8Array): void {
    if (client.phase === "open" || client.phase === "closing") {
      client.link!.receive(chunk);
    } else if (client.phase === "handshake") {
      this.#onHandshakeData(run, client, chunk);
    } else if (client.phase === "gating") {
      this.#hold(run, client, chunk);
    }
    // `refusing`: whatever else the client sends is read and dropped.
  }

  #onHandshakeData(run: Run, client: Client, chunk: Uint8Array): void {
    const line = client.requestLine?.push(chunk);
    if (line?.state === "invalid") {
      // No need to wait for a whole head (or the deadline) from a peer that speaks no HTTP.
      client.reader = client.requestLine = null;
      this.#refuse(run, client, 400, line.reason);
      return;
    }
    if (line?.state === "complete") client.requestLine = null;
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
    if (run.gate !== null) {
      const outcome = run.gate.decide(result.head, check.request, client.info);
      this.#gate(run, client, outcome, check.request, result.rest);
      return;
    }
    this.#admit(run, client, check.request, result.rest);
  }

  /** Extension: applies the gate's outcome, now or once its Promise settles. */
  #gate(
    run: Run,
    client: Client,
    outcome: GateOutcome | Promise<GateOutcome>,
    request: UpgradeRequest,
    rest: Uint8Array,
  ): void {
    client.phase = "gating";
    if (!(outcome instanceof Promise)) {
      this.#gated(run, client, outcome, request, rest);
      return;
    }
    run.held.set(client, [rest]);
    outcome.then((decided) => {
      const held = run.held.get(client);
      run.held.delete(client);
      // Gone meanwhile: handshake deadline, hang-up or stop().
      if (client.phase !== "gating" || held === undefined) return;
      this.#gated(run, client, decided, request, held.length === 1 ? held[0] : concatBytes(held));
    });
  }

  /** Extension: bytes a gating client sent; bounded, as the gate may take its time. */
  #hold(run: Run, client: Client, chunk: Uint8Array): void {
    const held = run.held.get(client);
    if (held === undefined) return;
    let bytes = chunk.length;
    for (const part of held) bytes += part.length;
    if (bytes > MAX_HELD_BYTES) {
      client.stream.close();
      return;
    }
    held.push(chunk.slice());
  }

  #gated(
    run: Run,
    client: Client,
    outcome: GateOutcome,
    request: UpgradeRequest,
    rest: Uint8Array,
  ): void {
    if (!outcome.accept) {
      if (outcome.failure !== undefined) {
        this.#events.emit(
          "error",
          new BusinessError(
            ErrorCode.Unknown,
            `the upgrade gate failed for ${label(client.info)}: ${outcome.failure}`,
          ),
        );
      }
      this.#refuse(run, client, 400, "", outcome.response);
      return;
    }
    if (this.#run !== run || this.#state !== "running") {
      this.#refuse(run, client, 503, "the server is shutting down");
      return;
    }
    this.#admit(run, client, request, rest, outcome);
  }

  /** The limits, then the upgrade (after the gate, when there is one). */
  #admit(
    run: Run,
    client: Client,
    request: UpgradeRequest,
    rest: Uint8Array,
    accepted?: GateOutcome & { accept: true },
  ): void {
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
    if (run.upgradedFrom.of(client.ipKey) >= maxPerClient) {
      this.#refuse(
        run,
        client,
        503,
        `${client.info.clientIP} already has ${maxPerClient} connections (maxConnectionsForOneClient)`,
      );
      return;
    }
    this.#upgrade(run, client, request.key, request.protocols, rest, request.extensions, accepted);
  }

  #upgrade(
    run: Run,
    client: Client,
    key: string,
    offered: string[],
    rest: Uint8Array,
    extensions?: string,
    accepted?: GateOutcome & { accept: true },
  ): void {
    sharedAlarmClock.clear(client);
    const chosen = accepted?.protocol;
    const protocol = chosen === undefined
      ? selectSubprotocol(offered, run.settings.protocols)
      : chosen ?? undefined;
    const deflate = run.settings.deflate;
    const offer = deflate === undefined ? undefined : selectDeflateOffer(extensions, deflate);
    if (protocol === undefined && offer === undefined && accepted === undefined) {
      // A buffer the runtime carves from a shared block: on Node a fresh ArrayBuffer of this
      // size costs more than the rest of the answer.
      client.stream.write(encodePlainAcceptResponse(key, sha1Base64, allocateInternal));
    } else {
      let response = buildAcceptResponse({ key, protocol, extensions: offer?.answer }, sha1Base64);
      // The gate's headers go before the blank line that ends the head.
      if (accepted !== undefined) {
        response = response.slice(0, -2) + accepted.headerLines + "\r\n";
      }
      client.stream.write(encoder.encode(response));
    }
    const link = new Link(
      client.stream,
      run.linkSettings,
      client,
      offer === undefined ? undefined : deflatePipeline(offer.agreement, "server", deflate!),
    );
    client.link = link;
    client.phase = "open";
    run.upgraded.set(client.id, client);
    run.notUpgradedFrom.remove(client.ipKey);
    run.upgradedFrom.add(client.ipKey);
    run.byInfo.set(client.info, client);
    this.#events.emit("connect", client.info);
    // Frames the client sent right behind its request.
    if (rest.length > 0) link.receive(rest);
  }

  /**
   * Answers with an HTTP error and half-closes. The socket stays readable
   * (input is dropped) until the client hangs up or `closeTimeoutMs` passes:
   * closing it with unread input would reset the connection and could destroy
   * the answer before the client reads it.
   */
  #refuse(
    run: Run,
    client: Client,
    status: RefusalStatus,
    reason: string,
    response: string = buildRefusalResponse(status, reason),
  ): void {
    sharedAlarmClock.clear(client);
    client.phase = "refusing";
    client.stream.write(encoder.encode(response));
    client.stream.closeWrite();
    sharedAlarmClock.set(client, run.settings.closeTimeoutMs);
  }

  // ---------------------------------------------------------------- traffic

  #emitMessage(client: Client, data: string | Uint8Array): void {
    this.#events.emitOne("messageReceive", {
      clientConnection: client.info,
      data: messageValue(data),
    });
  }

  #onEnd(run: Run, client: Client, error: unknown): void {
    sharedAlarmClock.clear(client);
    client.phase = "ended";
    run.clients.delete(client);
    const link = client.link;
    if (link === null) {
      run.notUpgradedFrom.remove(client.ipKey);
      // Before the upgrade nobody was told of this client, so its end is silent.
      if (run.gate !== null) run.held.delete(client);
      client.stream.close();
      return;
    }
    run.upgraded.delete(client.id);
    run.upgradedFrom.remove(client.ipKey);
    link.ended(error);
  }

  /** The open client with this address, or a 2302006 error. */
  #openClient(connection: unknown): Client {
    // The object handed out for a client is frozen, so it still names that client;
    // copies and look-alikes go through the check and the address lookup.
    const known = typeof connection === "object" && connection !== null
      ? this.#run?.byInfo.get(connection)
      : undefined;
    if (known !== undefined && known.phase === "open" && !known.link!.connection.closeSent) {
      return known;
    }
    const { clientIP, clientPort } = parseConnection(connection);
    const client = this.#run?.upgraded.get(idOf(clientIP, clientPort));
    if (client === undefined || client.phase !== "open" || client.link!.connection.closeSent) {
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
    // One pass and one array: a broadcaster calls this per message.
    const open: WebSocketConnection[] = [];
    for (const client of run.upgraded.values()) if (client.phase === "open") open.push(client.info);
    return open;
  }

  /** Sends one message to one client; resolves `true` once it is written. */
  send(data: ServerSendData, connection: WebSocketConnection): Promise<boolean> {
    // No closure per call (`attempt`): this is the hot path of every server.
    try {
      return this.#send(data, connection);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #send(data: unknown, connection: unknown): Promise<boolean> {
    let payload: Uint8Array | string, text: boolean, size: number, source: string;
    const maxSendSize = this.#run?.settings.maxSendSize ?? Infinity;
    if (isPlainShortText(data, maxSendSize)) {
      // The common short text, written into the frame as it is.
      payload = source = data;
      text = true;
      size = data.length;
    } else {
      const message = parseSendData(data, maxSendSize);
      ({ payload, text, size, source } = message);
      // The shared result keeps no reference to the caller's data.
      message.payload = message.source = "";
    }
    const client = this.#openClient(connection);
    const limit = this.#run!.settings.maxBufferedBytes;
    const link = client.link!;
    const buffered = link.buffered;
    if (buffered + size > limit) {
      // Refuse rather than queue without bound; the caller keeps the message.
      throw new BusinessError(
        ErrorCode.Unknown,
        `send buffer full: ${buffered} bytes for ${
          label(client.info)
        } are still waiting to be written (maxBufferedBytes ${limit})`,
      );
    }
    link.connection.sendMessage(payload, text, source);
    return link.sent();
  }

  /** Starts closing one client (default code 1000); resolves `true` once the close frame is written. */
  close(connection: WebSocketConnection, options?: WebSocketCloseOptions): Promise<boolean> {
    return attempt(() => this.#close(connection, options));
  }

  #close(connection: unknown, options: unknown): Promise<boolean> {
    const { code, reason } = parseCloseOptions(options);
    const client = this.#openClient(connection);
    client.link!.close(code, reason);
    return client.link!.stream.drained().then(() => true, (error) => {
      throw new BusinessError(
        ErrorCode.Unknown,
        `closing ${label(client.info)} failed: ${describe(error)}`,
      );
    });
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
            client.link!.close(GOING_AWAY.code, GOING_AWAY.reason);
          } else if (
            client.phase === "handshake" || client.phase === "gating" ||
            client.phase === "refusing"
          ) {
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

  // The SDK's static view: one method pair per event, on the same listener lists.

  /** Same as `on("connect", callback)`. */
  onConnect(callback: Callback<WebSocketConnection>): void {
    this.#events.on("connect", callback);
  }
  /** Same as `off("connect", callback)`. */
  offConnect(callback?: Callback<WebSocketConnection>): void {
    this.#events.off("connect", callback);
  }
  /** Same as `on("messageReceive", callback)`. */
  onMessageReceive(callback: Callback<WebSocketMessage>): void {
    this.#events.on("messageReceive", callback);
  }
  /** Same as `off("messageReceive", callback)`. */
  offMessageReceive(callback?: Callback<WebSocketMessage>): void {
    this.#events.off("messageReceive", callback);
  }
  /** Same as `on("close", callback)`. */
  onWebSocketServerClose(callback: ClientConnectionCloseCallback): void {
    this.#events.on("close", callback);
  }
  /** Same as `off("close", callback)`. */
  offWebSocketServerClose(callback?: ClientConnectionCloseCallback): void {
    this.#events.off("close", callback);
  }
  /** Same as `on("error", callback)`. */
  onWebSocketServerError(callback: ErrorCallback): void {
    this.#events.on("error", callback);
  }
  /** Same as `off("error", callback)`. */
  offWebSocketServerError(callback?: ErrorCallback): void {
    this.#events.off("error", callback);
  }
}

/** The `error` event's message for a problem of an open client's link. */
function problemText(info: WebSocketConnection, problem: LinkProblem): string {
  switch (problem.kind) {
    case "protocol":
      return `client ${
        label(info)
      } broke the protocol (closing with ${problem.error.closeCode}): ${problem.error.message}`;
    case "not-reading":
    case "pong-missed":
      return `dropped ${label(info)}: ${problem.reason}`;
    case "lost":
      return `connection to ${label(info)} lost: ${describe(problem.error)}`;
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
