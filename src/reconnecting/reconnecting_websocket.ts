/**
 * A reconnecting WebSocket (an extension, not on the platform): the `WebSocket` interface of
 * `createWebSocket()` over a series of connections. When a connection drops or an attempt
 * fails, it waits (exponential backoff with jitter) and connects again, until the user's
 * `close()`, a "no" from `shouldReconnect`, or `maxAttempts`. Listeners are the wrapper's, so
 * they keep working across reconnects.
 *
 * It is written only against the public SDK surface (the `WebSocket` of each attempt comes
 * from a factory; by default this library's `createWebSocket`), and in the subset of
 * TypeScript that ArkTS compiles: no `any` or `unknown`, no `#private` fields, no index
 * signatures, no destructuring, no `for..in`, no function expressions, object literals only
 * where a declared type gives them their shape. So the same module can run on the device on
 * top of the platform's own `@ohos.net.webSocket`.
 *
 * @module
 */

import {
  type AsyncCallback,
  BusinessError,
  type Callback,
  type CloseResult,
  createWebSocket,
  type ErrorCallback,
  ErrorCode,
  type OpenResult,
  type ResponseHeaders,
  type SendData,
  type WebSocket,
  type WebSocketCloseOptions,
  type WebSocketOpenInfo,
  type WebSocketRequestOptions,
} from "../web_socket.ts";
import { backoffDelay, type BackoffSettings } from "./backoff.ts";
import { QueuedMessage, type QueueOverflow, SendQueue, utf8Size } from "./send_queue.ts";
import type {
  ReconnectAttempt,
  ReconnectCause,
  ReconnectClock,
  ReconnectGiveUp,
  ReconnectOptions,
  ReconnectState,
  ReconnectTimer,
} from "./types.ts";

/** The longest delay a timer can take (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2147483647;
/** Error codes of attempts that would fail the same way again (argument and setup errors). */
const REPEATING_ERRORS: number[] = [
  ErrorCode.PermissionDenied,
  ErrorCode.ParameterError,
  ErrorCode.UrlError,
  ErrorCode.CertificateFileMissing,
  ErrorCode.DomainNotAllowed,
];
/** Close code 1008 (policy violation): the server does not want this client back. */
const POLICY_VIOLATION = 1008;

/**
 * Extension (not on the platform): the default reconnect decision. No for an error that would
 * repeat (401 parameter, 2302001 URL, 2302002 certificate file, 2302998 domain, 201
 * permission), for close code 1008, and for an upgrade refused with a status below 500 other
 * than 408 and 429 (so 401, 403, 404 end it; 503 and 429 are retried); yes otherwise.
 *
 * @example
 * ```ts
 * import { createReconnectingWebSocket, defaultShouldReconnect } from "../../mod.ts";
 * // Also stop when the server says the message was too big.
 * const ws = createReconnectingWebSocket({
 *   shouldReconnect: (cause) => defaultShouldReconnect(cause) && cause.close?.code !== 1009,
 * });
 * ws.on("message", (_err, data) => console.log(data));
 * ```
 */
export function defaultShouldReconnect(cause: ReconnectCause): boolean {
  if (cause.close !== undefined) return cause.close.code !== POLICY_VIOLATION;
  const status = cause.status;
  if (status !== undefined) return status >= 500 || status === 408 || status === 429;
  const error = cause.error;
  return error === undefined || REPEATING_ERRORS.indexOf(error.code) < 0;
}

/** The platform calls an `AsyncCallback` with `err` undefined on success; its type says otherwise. */
function noError(): BusinessError {
  const none: BusinessError | undefined = undefined;
  return none!;
}

/** Reports a listener or callback that threw; the WebSocket carries on. */
function reportThrow(
  what: string,
  error: Error | string | number | boolean | null | object,
): void {
  console.error(`[ohos-websocket] a reconnecting WebSocket '${what}' callback threw:`, error);
}

/** One event's listeners: added once each, removed one by one or all, called in order. */
class ListenerList<T> {
  private readonly name: string;
  private items: T[] = [];

  constructor(name: string) {
    this.name = name;
  }

  get size(): number {
    return this.items.length;
  }

  add(listener: T): void {
    // Copy on write: an emit in progress keeps the list it started with.
    if (this.items.indexOf(listener) < 0) this.items = this.items.concat([listener]);
  }

  remove(listener?: T): void {
    if (listener === undefined) this.items = [];
    else this.items = this.items.filter((item: T) => item !== listener);
  }

  emit(call: (listener: T) => void): void {
    const items = this.items;
    for (const listener of items) {
      try {
        call(listener);
      } catch (error) {
        reportThrow(this.name, error as Error);
      }
    }
  }
}

/** The checked settings of one reconnecting WebSocket. */
class Settings implements BackoffSettings {
  minDelayMs: number;
  maxDelayMs: number;
  factor: number;
  jitter: boolean;
  maxAttempts: number;
  stableAfterMs: number;
  shouldReconnect: (cause: ReconnectCause) => boolean;
  queueMaxMessages: number;
  queueMaxBytes: number;
  queueOverflow: QueueOverflow;

  constructor(options: ReconnectOptions) {
    this.minDelayMs = delayOption("minDelayMs", options.minDelayMs, 1000, false);
    this.maxDelayMs = delayOption("maxDelayMs", options.maxDelayMs, 30000, false);
    if (this.maxDelayMs < this.minDelayMs) {
      throw new BusinessError(ErrorCode.ParameterError, "maxDelayMs must be >= minDelayMs");
    }
    const factor = options.backoffFactor ?? 2;
    if (typeof factor !== "number" || !Number.isFinite(factor) || factor < 1) {
      throw new BusinessError(ErrorCode.ParameterError, "backoffFactor must be a number >= 1");
    }
    this.factor = factor;
    this.jitter = booleanOption("jitter", options.jitter, true);
    const attempts = options.maxAttempts ?? Infinity;
    if (
      typeof attempts !== "number" || attempts < 0 || Number.isNaN(attempts) ||
      (attempts !== Infinity && !Number.isInteger(attempts))
    ) {
      throw new BusinessError(
        ErrorCode.ParameterError,
        "maxAttempts must be an integer >= 0 or Infinity",
      );
    }
    this.maxAttempts = attempts;
    this.stableAfterMs = delayOption("stableAfterMs", options.stableAfterMs, 5000, true);
    const decide = options.shouldReconnect ?? defaultShouldReconnect;
    if (typeof decide !== "function") {
      throw new BusinessError(ErrorCode.ParameterError, "shouldReconnect must be a function");
    }
    this.shouldReconnect = decide;
    const messages = options.queueMaxMessages ?? 0;
    if (typeof messages !== "number" || !Number.isInteger(messages) || messages < 0) {
      throw new BusinessError(ErrorCode.ParameterError, "queueMaxMessages must be an integer >= 0");
    }
    this.queueMaxMessages = messages;
    const bytes = options.queueMaxBytes ?? 1048576;
    if (typeof bytes !== "number" || !Number.isFinite(bytes) || bytes <= 0) {
      throw new BusinessError(ErrorCode.ParameterError, "queueMaxBytes must be a number > 0");
    }
    this.queueMaxBytes = bytes;
    const overflow = options.queueOverflow ?? "reject-new";
    if (overflow !== "reject-new" && overflow !== "drop-oldest") {
      throw new BusinessError(
        ErrorCode.ParameterError,
        "queueOverflow must be 'reject-new' or 'drop-oldest'",
      );
    }
    this.queueOverflow = overflow;
  }
}

function delayOption(
  name: string,
  value: number | undefined,
  fallback: number,
  zeroAllowed: boolean,
): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== "number" || !Number.isFinite(value) || value < 0 ||
    (value === 0 && !zeroAllowed) || value > MAX_TIMER_MS
  ) {
    const low = zeroAllowed ? ">= 0" : "> 0";
    throw new BusinessError(
      ErrorCode.ParameterError,
      `${name} must be a number ${low} and at most ${MAX_TIMER_MS}`,
    );
  }
  return value;
}

function booleanOption(name: string, value: boolean | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") {
    throw new BusinessError(ErrorCode.ParameterError, `${name} must be a boolean`);
  }
  return value;
}

/** A `setTimeout` timer, cancelled through a closure (the handle's type differs by runtime). */
class SystemTimer implements ReconnectTimer {
  private readonly stop: () => void;

  constructor(stop: () => void) {
    this.stop = stop;
  }

  cancel(): void {
    this.stop();
  }
}

/** The default clock: `Date.now()` and `setTimeout`. */
class SystemClock implements ReconnectClock {
  now(): number {
    return Date.now();
  }

  schedule(callback: () => void, delayMs: number): ReconnectTimer {
    const handle = setTimeout(callback, delayMs);
    return new SystemTimer(() => clearTimeout(handle));
  }
}

/** The `connect` call waiting for the first open (or the end). */
class PendingConnect {
  readonly resolve: (value: boolean) => void;
  readonly reject: (error: BusinessError) => void;

  constructor(resolve: (value: boolean) => void, reject: (error: BusinessError) => void) {
    this.resolve = resolve;
    this.reject = reject;
  }
}

/**
 * Extension (not on the platform): a `WebSocket` that reconnects. Create it with
 * {@linkcode createReconnectingWebSocket}; see `docs/reconnecting.md`.
 *
 * The platform's methods behave as on a single connection, with these differences:
 * `connect` resolves once a connection is open, after as many attempts as the schedule allows,
 * and rejects when it gives up or is closed first; `close` ends the current connection and
 * every further attempt; `send` while not open fails with -1, or is queued when
 * `queueMaxMessages` > 0. `open`, `close`, `error` and the other events fire for every
 * connection; `reconnecting` and `giveUp` report the schedule.
 *
 * @example
 * ```ts
 * import { createReconnectingWebSocket } from "../../mod.ts";
 * const ws = createReconnectingWebSocket({ maxAttempts: 10, queueMaxMessages: 100 });
 * ws.on("open", () => ws.send("subscribe"));
 * ws.on("message", (_err, data) => console.log(data));
 * ws.on("reconnecting", (attempt) => console.log("retry", attempt.attempt, "in", attempt.delayMs));
 * ws.on("giveUp", (end) => console.log("gave up:", end.reason));
 * // await ws.connect("ws://127.0.0.1:8080/");
 * ```
 */
export class ReconnectingWebSocket implements WebSocket {
  private readonly factory: () => WebSocket;
  private readonly settings: Settings;
  private readonly clock: ReconnectClock;
  private readonly random: () => number;
  private readonly queue: SendQueue;

  private readonly openListeners = new ListenerList<AsyncCallback<OpenResult>>("open");
  private readonly messageListeners = new ListenerList<AsyncCallback<string | ArrayBuffer>>(
    "message",
  );
  private readonly closeListeners = new ListenerList<AsyncCallback<CloseResult>>("close");
  private readonly errorListeners = new ListenerList<ErrorCallback>("error");
  private readonly dataEndListeners = new ListenerList<Callback<void>>("dataEnd");
  private readonly headerListeners = new ListenerList<Callback<ResponseHeaders>>(
    "headerReceive",
  );
  private readonly openInfoListeners = new ListenerList<AsyncCallback<WebSocketOpenInfo>>(
    "openInfo",
  );
  private readonly attemptListeners = new ListenerList<Callback<ReconnectAttempt>>(
    "reconnecting",
  );
  private readonly giveUpListeners = new ListenerList<Callback<ReconnectGiveUp>>("giveUp");
  /** `onOpen` listener → its `(err, value)` adapter in the `open` list. */
  private readonly openAdapters = new WeakMap<Callback<OpenResult>, AsyncCallback<OpenResult>>();

  private currentState: ReconnectState = "idle";
  private url = "";
  private requestOptions: WebSocketRequestOptions | undefined = undefined;
  /** The WebSocket of the current attempt or connection. */
  private socket: WebSocket | undefined = undefined;
  private timer: ReconnectTimer | undefined = undefined;
  /** Attempts made since the last stable connection (the schedule's position). */
  private failures = 0;
  private openedAt = 0;
  private pending: PendingConnect | undefined = undefined;

  /** Creates an idle reconnecting WebSocket; bad options are a 401 `BusinessError`. */
  constructor(options?: ReconnectOptions) {
    const given: ReconnectOptions = options ?? {};
    this.settings = new Settings(given);
    this.factory = given.createWebSocket ?? createWebSocket;
    this.clock = given.clock ?? new SystemClock();
    this.random = given.random ?? ((): number => Math.random());
    this.queue = new SendQueue(
      this.settings.queueMaxMessages,
      this.settings.queueMaxBytes,
      this.settings.queueOverflow,
    );
  }

  /** Extension: where the life cycle is (see {@linkcode ReconnectState}). */
  get state(): ReconnectState {
    return this.currentState;
  }

  /** Extension: messages queued by `send` while not open. */
  get queuedMessages(): number {
    return this.queue.length;
  }

  // ------------------------------------------------------------------ connect

  /** Connects, reconnecting as configured; the callback gets `(undefined, true)` once open. */
  connect(url: string, callback: AsyncCallback<boolean>): void;
  /** Connects with options (used for every attempt); the callback gets `(undefined, true)`. */
  connect(url: string, options: WebSocketRequestOptions, callback: AsyncCallback<boolean>): void;
  /**
   * Connects; resolves `true` once a connection is open, rejects with the last error when it
   * gives up, or when `close()` comes first.
   */
  connect(url: string, options?: WebSocketRequestOptions): Promise<boolean>;
  connect(
    url: string,
    second?: WebSocketRequestOptions | AsyncCallback<boolean>,
    third?: AsyncCallback<boolean>,
  ): Promise<boolean> | void {
    let callback: AsyncCallback<boolean> | undefined = third;
    let options: WebSocketRequestOptions | undefined = undefined;
    if (typeof second === "function") callback = second;
    else options = second;
    return this.settle(this.start(url, options), callback);
  }

  /** Begins the life cycle of a `connect`: the first attempt, and the promise of its open. */
  private start(url: string, options: WebSocketRequestOptions | undefined): Promise<boolean> {
    if (typeof url !== "string") {
      return Promise.reject(new BusinessError(ErrorCode.ParameterError, "url must be a string"));
    }
    if (this.currentState !== "idle" && this.currentState !== "closed") {
      return Promise.reject(
        new BusinessError(ErrorCode.ConnectionExists, "this WebSocket is already connected"),
      );
    }
    this.url = url;
    this.requestOptions = options;
    this.failures = 0;
    const opened = new Promise<boolean>((resolve, reject) => {
      this.pending = new PendingConnect(resolve, reject);
    });
    this.startAttempt();
    return opened;
  }

  /** One connection attempt on a fresh WebSocket from the factory. */
  private startAttempt(): void {
    let socket: WebSocket;
    try {
      socket = this.factory();
    } catch (error) {
      // A broken factory is one more failed attempt (reported), not an exception in a timer.
      const failure = new BusinessError(
        ErrorCode.Unknown,
        `createWebSocket failed: ${String(error)}`,
      );
      this.errorListeners.emit((listener: ErrorCallback) => listener(failure));
      const cause: ReconnectCause = { attempt: this.failures + 1, error: failure };
      this.retryOrGiveUp(cause);
      return;
    }
    this.socket = socket;
    this.currentState = "connecting";
    this.attach(socket);
    let attempt: Promise<boolean>;
    try {
      attempt = socket.connect(this.url, this.requestOptions);
    } catch (error) {
      // The platform throws argument errors; ours rejects. Both end the attempt.
      attempt = Promise.reject(error);
    }
    attempt.then(
      (_opened: boolean) => this.attemptOpened(socket),
      (error: BusinessError) => this.attemptFailed(socket, error),
    );
  }

  /** Forwards the events of `socket` while it is the current one. */
  private attach(socket: WebSocket): void {
    socket.on("open", (_err: BusinessError, value: OpenResult) => {
      if (socket === this.socket) this.opened(value);
    });
    socket.on("message", (_err: BusinessError, data: string | ArrayBuffer) => {
      if (socket !== this.socket) return;
      this.messageListeners.emit((listener: AsyncCallback<string | ArrayBuffer>) =>
        listener(noError(), data)
      );
    });
    socket.on("close", (_err: BusinessError, result: CloseResult) => {
      if (socket === this.socket) this.closed(socket, result);
    });
    socket.on("error", (err: BusinessError) => {
      if (socket !== this.socket) return;
      this.errorListeners.emit((listener: ErrorCallback) => listener(err));
    });
    socket.on("dataEnd", () => {
      if (socket !== this.socket) return;
      this.dataEndListeners.emit((listener: Callback<void>) => listener());
    });
    socket.on("headerReceive", (headers: ResponseHeaders) => {
      if (socket !== this.socket) return;
      this.headerListeners.emit((listener: Callback<ResponseHeaders>) => listener(headers));
    });
    socket.on("openInfo", (_err: BusinessError, info: WebSocketOpenInfo) => {
      if (socket !== this.socket) return;
      this.openInfoListeners.emit((listener: AsyncCallback<WebSocketOpenInfo>) =>
        listener(noError(), info)
      );
    });
  }

  /** Removes every listener this wrapper put on `socket` (they are all ours). */
  private detach(socket: WebSocket): void {
    socket.off("open");
    socket.off("message");
    socket.off("close");
    socket.off("error");
    socket.off("dataEnd");
    socket.off("headerReceive");
    socket.off("openInfo");
    if (socket === this.socket) this.socket = undefined;
  }

  /** The current attempt opened: listeners first, then the queue. */
  private opened(value: OpenResult): void {
    if (this.currentState === "connecting") this.currentState = "open";
    this.openedAt = this.clock.now();
    this.openListeners.emit((listener: AsyncCallback<OpenResult>) => listener(noError(), value));
    // After the open listeners: what they send (a login, a subscription) goes first.
    this.flushQueue();
  }

  /** Sends every queued message in order on the open connection. */
  private flushQueue(): void {
    const socket = this.socket;
    if (this.queue.length === 0 || socket === undefined || this.currentState !== "open") return;
    for (const entry of this.queue.takeAll()) {
      let sending: Promise<boolean>;
      try {
        sending = socket.send(entry.data);
      } catch (error) {
        sending = Promise.reject(error);
      }
      sending.then(
        (sent: boolean) => entry.resolve(sent),
        (error: BusinessError) => entry.reject(error),
      );
    }
  }

  /** The current attempt's `connect` resolved: so does a waiting `connect`. */
  private attemptOpened(socket: WebSocket): void {
    if (socket !== this.socket) return;
    const pending = this.pending;
    this.pending = undefined;
    if (pending !== undefined) pending.resolve(true);
  }

  /** The current attempt failed before opening: end (after close()) or try again. */
  private attemptFailed(socket: WebSocket, error: BusinessError): void {
    if (socket !== this.socket) return;
    this.detach(socket);
    if (this.currentState === "closing") {
      this.finish(error);
      return;
    }
    const cause: ReconnectCause = { attempt: this.failures + 1, error: error };
    const status = refusedStatus(error);
    if (status !== undefined) cause.status = status;
    this.retryOrGiveUp(cause);
  }

  /** The open connection ended: end (after close()) or try again. */
  private closed(socket: WebSocket, result: CloseResult): void {
    this.detach(socket);
    const emitClose = (): void =>
      this.closeListeners.emit((listener: AsyncCallback<CloseResult>) =>
        listener(noError(), result)
      );
    if (this.currentState === "closing") {
      // The user's close(): over before the listeners run, so they may connect again.
      this.finish(undefined);
      emitClose();
      return;
    }
    if (this.clock.now() - this.openedAt >= this.settings.stableAfterMs) this.failures = 0;
    // The close listeners see the connection end before any reconnect decision.
    this.currentState = "waiting";
    emitClose();
    // A close() from a listener has ended it all.
    if (this.currentState !== "waiting") return;
    const cause: ReconnectCause = { attempt: this.failures + 1, close: result };
    this.retryOrGiveUp(cause);
  }

  /** Asks `shouldReconnect` and the attempt limit; arms the timer or gives up. */
  private retryOrGiveUp(cause: ReconnectCause): void {
    // "waiting" before asking: a close() from the hook or a listener then just ends it.
    this.currentState = "waiting";
    let again = false;
    try {
      again = this.settings.shouldReconnect(cause) === true;
    } catch (error) {
      reportThrow("shouldReconnect", error as Error);
    }
    if (this.currentState !== "waiting") return;
    if (!again) {
      this.giveUp(cause, "declined");
      return;
    }
    if (cause.attempt > this.settings.maxAttempts) {
      this.giveUp(cause, "max-attempts");
      return;
    }
    this.failures = cause.attempt;
    const delayMs = backoffDelay(cause.attempt, this.settings, this.random());
    this.timer = this.clock.schedule(() => {
      this.timer = undefined;
      if (this.currentState === "waiting") this.startAttempt();
    }, delayMs);
    const event: ReconnectAttempt = { attempt: cause.attempt, delayMs: delayMs };
    if (cause.error !== undefined) event.error = cause.error;
    if (cause.status !== undefined) event.status = cause.status;
    if (cause.close !== undefined) event.close = cause.close;
    this.attemptListeners.emit((listener: Callback<ReconnectAttempt>) => listener(event));
  }

  /** Stops for good and reports it once. */
  private giveUp(cause: ReconnectCause, reason: "declined" | "max-attempts"): void {
    const event: ReconnectGiveUp = { attempt: cause.attempt, reason: reason };
    if (cause.error !== undefined) event.error = cause.error;
    if (cause.status !== undefined) event.status = cause.status;
    if (cause.close !== undefined) event.close = cause.close;
    const why = reason === "declined"
      ? "shouldReconnect declined"
      : `${cause.attempt - 1} attempts in a row failed`;
    this.finish(
      cause.error ?? new BusinessError(ErrorCode.ConnectFailed, `gave up reconnecting: ${why}`),
    );
    this.giveUpListeners.emit((listener: Callback<ReconnectGiveUp>) => listener(event));
  }

  /** The end: no timer, no socket, the queue and a waiting `connect` failed with `error`. */
  private finish(error: BusinessError | undefined): void {
    this.currentState = "closed";
    const timer = this.timer;
    this.timer = undefined;
    if (timer !== undefined) timer.cancel();
    const failure = error ??
      new BusinessError(ErrorCode.ConnectFailed, "closed before the connection opened");
    this.queue.rejectAll(
      new BusinessError(ErrorCode.ConnectFailed, `not sent: ${failure.message}`),
    );
    const pending = this.pending;
    this.pending = undefined;
    if (pending !== undefined) pending.reject(failure);
  }

  // ---------------------------------------------------------------- send

  /**
   * Extension (not on the platform): the current connection's `extBufferedAmount`; 0 between
   * connections, or when the factory's WebSocket has no such figure (the platform's). Messages
   * waiting in the reconnect queue are not counted.
   */
  get extBufferedAmount(): number {
    const socket = this.socket;
    if (socket === undefined) return 0;
    const amount: number | undefined = socket.extBufferedAmount;
    return typeof amount === "number" ? amount : 0;
  }

  /**
   * Extension (not on the platform): the current connection's `extDrained()`; resolves `true` at
   * once between connections, or when the factory's WebSocket has no such method.
   */
  extDrained(): Promise<boolean> {
    const socket = this.socket;
    if (socket === undefined || typeof socket.extDrained !== "function") {
      return Promise.resolve(true);
    }
    return socket.extDrained();
  }

  /** Sends a message; the callback gets `(undefined, true)` once it is written. */
  send(data: SendData, callback: AsyncCallback<boolean>): void;
  /**
   * Sends a message; resolves `true` once it is written. While not open it fails with -1, or,
   * with `queueMaxMessages` > 0, is queued and written after the reconnect.
   */
  send(data: SendData): Promise<boolean>;
  send(data: SendData, callback?: AsyncCallback<boolean>): Promise<boolean> | void {
    const socket = this.socket;
    if (this.currentState === "open" && socket !== undefined) {
      if (callback === undefined) return socket.send(data);
      socket.send(data, callback);
      return;
    }
    return this.settle(this.enqueue(data), callback);
  }

  /** Queues a copy of `data` while not open, when the queue is on. */
  private enqueue(data: SendData): Promise<boolean> {
    const waiting = this.currentState === "connecting" || this.currentState === "waiting";
    if (!waiting || !this.queue.enabled) {
      return Promise.reject(new BusinessError(ErrorCode.ConnectFailed, "WebSocket is not open"));
    }
    let copy: string | ArrayBuffer;
    let size: number;
    if (typeof data === "string") {
      copy = data;
      size = utf8Size(data);
    } else if (data instanceof ArrayBuffer) {
      // A copy: changing the buffer after `send` must not change what is sent.
      copy = data.slice(0);
      size = copy.byteLength;
    } else if (ArrayBuffer.isView(data)) {
      copy = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice().buffer;
      size = copy.byteLength;
    } else {
      return Promise.reject(
        new BusinessError(ErrorCode.ParameterError, "data must be a string or an ArrayBuffer"),
      );
    }
    return new Promise<boolean>((resolve, reject) => {
      this.queue.offer(new QueuedMessage(copy, size, resolve, reject));
    });
  }

  // --------------------------------------------------------------- close

  /** Closes with code 1000 and stops reconnecting. */
  close(callback: AsyncCallback<boolean>): void;
  /** Closes with the given code and reason and stops reconnecting. */
  close(options: WebSocketCloseOptions, callback: AsyncCallback<boolean>): void;
  /**
   * Stops reconnecting and closes the current connection (or attempt); resolves `true` once
   * the close frame is written, or at once while waiting for the next attempt.
   */
  close(options?: WebSocketCloseOptions): Promise<boolean>;
  close(
    first?: WebSocketCloseOptions | AsyncCallback<boolean>,
    second?: AsyncCallback<boolean>,
  ): Promise<boolean> | void {
    let callback: AsyncCallback<boolean> | undefined = second;
    let options: WebSocketCloseOptions | undefined = undefined;
    if (typeof first === "function") callback = first;
    else options = first;
    return this.settle(this.stop(options), callback);
  }

  /** The body of `close()`. */
  private stop(options: WebSocketCloseOptions | undefined): Promise<boolean> {
    const state = this.currentState;
    if (state === "idle" || state === "closed") {
      return Promise.reject(
        new BusinessError(
          ErrorCode.Unknown,
          state === "idle" ? "WebSocket is not connected" : "WebSocket is already closed",
        ),
      );
    }
    const socket = this.socket;
    if (state === "waiting" || socket === undefined) {
      this.finish(undefined);
      return Promise.resolve(true);
    }
    this.currentState = "closing";
    let closing: Promise<boolean>;
    try {
      closing = socket.close(options);
    } catch (error) {
      closing = Promise.reject(error);
    }
    return closing.catch((error: BusinessError) => {
      // Bad close options leave the connection as it was, reconnecting included.
      if (error.code === ErrorCode.ParameterError && this.socket === socket) {
        if (this.currentState === "closing") this.currentState = state;
      }
      throw error;
    });
  }

  // ---------------------------------------------------------------- events

  /** The handshake of a connection succeeded (every reconnect too). */
  on(type: "open", callback: AsyncCallback<OpenResult>): void;
  /** A message arrived on the current connection. */
  on(type: "message", callback: AsyncCallback<string | ArrayBuffer>): void;
  /** A connection that had opened closed (a reconnect may follow). */
  on(type: "close", callback: AsyncCallback<CloseResult>): void;
  /** Something failed, including each failed attempt. */
  on(type: "error", callback: ErrorCallback): void;
  /** A complete message has been delivered. */
  on(type: "dataEnd", callback: Callback<void>): void;
  /** The handshake response headers of a connection arrived. */
  on(type: "headerReceive", callback: Callback<ResponseHeaders>): void;
  /** Status line and chosen subprotocol of a connection, right after `open`. */
  on(type: "openInfo", callback: AsyncCallback<WebSocketOpenInfo>): void;
  /** Extension: a reconnect attempt is scheduled. */
  on(type: "reconnecting", callback: Callback<ReconnectAttempt>): void;
  /** Extension: reconnecting stopped for good (reported once per `connect`). */
  on(type: "giveUp", callback: Callback<ReconnectGiveUp>): void;
  on(type: string, callback: EventCallback): void {
    checkListener(type, callback);
    this.route(type, callback, true);
  }

  /** Removes one `open` listener, or all of them. */
  off(type: "open", callback?: AsyncCallback<OpenResult>): void;
  /** Removes one `message` listener, or all of them. */
  off(type: "message", callback?: AsyncCallback<string | ArrayBuffer>): void;
  /** Removes one `close` listener, or all of them. */
  off(type: "close", callback?: AsyncCallback<CloseResult>): void;
  /** Removes one `error` listener, or all of them. */
  off(type: "error", callback?: ErrorCallback): void;
  /** Removes one `dataEnd` listener, or all of them. */
  off(type: "dataEnd", callback?: Callback<void>): void;
  /** Removes one `headerReceive` listener, or all of them. */
  off(type: "headerReceive", callback?: Callback<ResponseHeaders>): void;
  /** Removes one `openInfo` listener, or all of them. */
  off(type: "openInfo", callback?: AsyncCallback<WebSocketOpenInfo>): void;
  /** Extension: removes one `reconnecting` listener, or all of them. */
  off(type: "reconnecting", callback?: Callback<ReconnectAttempt>): void;
  /** Extension: removes one `giveUp` listener, or all of them. */
  off(type: "giveUp", callback?: Callback<ReconnectGiveUp>): void;
  off(type: string, callback?: EventCallback): void {
    if (typeof type !== "string") {
      throw new BusinessError(ErrorCode.ParameterError, "event type must be a string");
    }
    if (callback !== undefined && typeof callback !== "function") {
      throw new BusinessError(ErrorCode.ParameterError, "callback must be a function");
    }
    this.route(type, callback, false);
  }

  /** Adds (`add`) or removes `callback` in the list of `type`; unknown types are ignored. */
  private route(type: string, callback: EventCallback | undefined, add: boolean): void {
    switch (type) {
      case "open": {
        const listener = callback as AsyncCallback<OpenResult> | undefined;
        if (add && listener !== undefined) this.openListeners.add(listener);
        else if (!add) this.openListeners.remove(listener);
        break;
      }
      case "message": {
        const listener = callback as AsyncCallback<string | ArrayBuffer> | undefined;
        if (add && listener !== undefined) this.messageListeners.add(listener);
        else if (!add) this.messageListeners.remove(listener);
        break;
      }
      case "close": {
        const listener = callback as AsyncCallback<CloseResult> | undefined;
        if (add && listener !== undefined) this.closeListeners.add(listener);
        else if (!add) this.closeListeners.remove(listener);
        break;
      }
      case "error": {
        const listener = callback as ErrorCallback | undefined;
        if (add && listener !== undefined) this.errorListeners.add(listener);
        else if (!add) this.errorListeners.remove(listener);
        break;
      }
      case "dataEnd": {
        const listener = callback as Callback<void> | undefined;
        if (add && listener !== undefined) this.dataEndListeners.add(listener);
        else if (!add) this.dataEndListeners.remove(listener);
        break;
      }
      case "headerReceive": {
        const listener = callback as Callback<ResponseHeaders> | undefined;
        if (add && listener !== undefined) this.headerListeners.add(listener);
        else if (!add) this.headerListeners.remove(listener);
        break;
      }
      case "openInfo": {
        const listener = callback as AsyncCallback<WebSocketOpenInfo> | undefined;
        if (add && listener !== undefined) this.openInfoListeners.add(listener);
        else if (!add) this.openInfoListeners.remove(listener);
        break;
      }
      case "reconnecting": {
        const listener = callback as Callback<ReconnectAttempt> | undefined;
        if (add && listener !== undefined) this.attemptListeners.add(listener);
        else if (!add) this.attemptListeners.remove(listener);
        break;
      }
      case "giveUp": {
        const listener = callback as Callback<ReconnectGiveUp> | undefined;
        if (add && listener !== undefined) this.giveUpListeners.add(listener);
        else if (!add) this.giveUpListeners.remove(listener);
        break;
      }
    }
  }

  // The SDK's static view (ArkTS 1.2): one method pair per event, on the same lists as on/off.

  /** Like `on("open", …)`, but `callback` is handed the value alone (static view). */
  onOpen(callback: Callback<OpenResult>): void {
    checkListener("open", callback);
    let adapter = this.openAdapters.get(callback);
    if (adapter === undefined) {
      adapter = (_err: BusinessError, value: OpenResult) => callback(value);
      this.openAdapters.set(callback, adapter);
    }
    this.openListeners.add(adapter);
  }
  /** Removes one `onOpen` listener, or every `open` listener when none is given. */
  offOpen(callback?: Callback<OpenResult>): void {
    if (callback === undefined) {
      this.openListeners.remove(undefined);
      return;
    }
    const adapter = this.openAdapters.get(callback);
    if (adapter !== undefined) this.openListeners.remove(adapter);
    // The list is on()'s too: a listener added with on("open", …) goes the same way.
    this.route("open", callback, false);
  }
  /** Same as `on("message", callback)` (static view). */
  onMessage(callback: AsyncCallback<string | ArrayBuffer>): void {
    this.on("message", callback);
  }
  /** Same as `off("message", callback)` (static view). */
  offMessage(callback?: AsyncCallback<string | ArrayBuffer>): void {
    this.off("message", callback);
  }
  /** Same as `on("close", callback)` (static view). */
  onWebSocketClose(callback: AsyncCallback<CloseResult>): void {
    this.on("close", callback);
  }
  /** Same as `off("close", callback)` (static view). */
  offWebSocketClose(callback?: AsyncCallback<CloseResult>): void {
    this.off("close", callback);
  }
  /** Same as `on("error", callback)` (static view). */
  onWebSocketError(callback: ErrorCallback): void {
    this.on("error", callback);
  }
  /** Same as `off("error", callback)` (static view). */
  offWebSocketError(callback?: ErrorCallback): void {
    this.off("error", callback);
  }
  /** Same as `on("dataEnd", callback)` (static view). */
  onDataEnd(callback: Callback<void>): void {
    this.on("dataEnd", callback);
  }
  /** Same as `off("dataEnd", callback)` (static view). */
  offDataEnd(callback?: Callback<void>): void {
    this.off("dataEnd", callback);
  }
  /** Same as `on("headerReceive", callback)` (static view). */
  onHeaderReceive(callback: Callback<ResponseHeaders>): void {
    this.on("headerReceive", callback);
  }
  /** Same as `off("headerReceive", callback)` (static view). */
  offHeaderReceive(callback?: Callback<ResponseHeaders>): void {
    this.off("headerReceive", callback);
  }
  /** Extension, static-view style: same as `on("reconnecting", callback)`. */
  onReconnecting(callback: Callback<ReconnectAttempt>): void {
    this.on("reconnecting", callback);
  }
  /** Extension, static-view style: same as `off("reconnecting", callback)`. */
  offReconnecting(callback?: Callback<ReconnectAttempt>): void {
    this.off("reconnecting", callback);
  }
  /** Extension, static-view style: same as `on("giveUp", callback)`. */
  onGiveUp(callback: Callback<ReconnectGiveUp>): void {
    this.on("giveUp", callback);
  }
  /** Extension, static-view style: same as `off("giveUp", callback)`. */
  offGiveUp(callback?: Callback<ReconnectGiveUp>): void {
    this.off("giveUp", callback);
  }

  // --------------------------------------------------------------- helpers

  /** `work` as a Promise, or reported through `callback` when one is given. */
  private settle(
    work: Promise<boolean>,
    callback: AsyncCallback<boolean> | undefined,
  ): Promise<boolean> | void {
    if (callback === undefined) return work;
    if (typeof callback !== "function") {
      work.catch((_error: BusinessError) => false);
      return Promise.reject(
        new BusinessError(ErrorCode.ParameterError, "callback must be a function"),
      );
    }
    work.then(
      (value: boolean) => {
        try {
          callback(noError(), value);
        } catch (error) {
          reportThrow("callback", error as Error);
        }
      },
      (error: BusinessError) => {
        try {
          callback(error, false);
        } catch (thrown) {
          reportThrow("callback", thrown as Error);
        }
      },
    );
  }
}

/** Any listener `on`/`off` accept. */
type EventCallback =
  | AsyncCallback<OpenResult>
  | Callback<OpenResult>
  | AsyncCallback<string | ArrayBuffer>
  | AsyncCallback<CloseResult>
  | ErrorCallback
  | Callback<void>
  | Callback<ResponseHeaders>
  | AsyncCallback<WebSocketOpenInfo>
  | Callback<ReconnectAttempt>
  | Callback<ReconnectGiveUp>;

function checkListener(type: string, callback: EventCallback): void {
  if (typeof type !== "string") {
    throw new BusinessError(ErrorCode.ParameterError, "event type must be a string");
  }
  if (typeof callback !== "function") {
    throw new BusinessError(ErrorCode.ParameterError, "callback must be a function");
  }
}

/** The HTTP status of a refused upgrade, which the client puts in `error.data` as text. */
function refusedStatus(error: BusinessError): number | undefined {
  const data: string | undefined = (error as BusinessError<string>).data;
  if (typeof data !== "string" || data.length !== 3) return undefined;
  const status = Number(data);
  return Number.isInteger(status) && status >= 100 && status <= 599 ? status : undefined;
}

/**
 * Extension (not on the platform): creates a {@linkcode ReconnectingWebSocket}, a drop-in
 * replacement for `createWebSocket()` that reconnects with exponential backoff and jitter.
 * Bad options throw a 401 `BusinessError`.
 *
 * @example
 * ```ts
 * import { createReconnectingWebSocket } from "../../mod.ts";
 * // Was: const ws = webSocket.createWebSocket();
 * const ws = createReconnectingWebSocket({ minDelayMs: 500, maxDelayMs: 10_000 });
 * ws.on("message", (_err, data) => console.log(data));
 * // await ws.connect("ws://127.0.0.1:8080/", { pingInterval: 10, pongTimeout: 5 });
 * ```
 */
export function createReconnectingWebSocket(options?: ReconnectOptions): ReconnectingWebSocket {
  return new ReconnectingWebSocket(options);
}
