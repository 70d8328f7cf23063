/**
 * Records every event of an ohos client in order, and waits (bounded) for
 * the ones a test expects. Shared by the socket-level protocol tests.
 *
 * @module
 */
import type { BusinessError, CloseResult, OpenResult, WebSocket } from "../../mod.ts";
import { within } from "./scripted_server.ts";

export interface EventValues {
  open: OpenResult;
  message: string | ArrayBuffer;
  close: CloseResult;
  error: BusinessError;
}
export type EventType = keyof EventValues;

export class EventLog {
  readonly events: { type: EventType; value: unknown }[] = [];
  readonly #listeners = new Set<() => void>();

  constructor(ws: WebSocket) {
    ws.on("open", (_err, value) => this.#push("open", value));
    ws.on("message", (_err, value) => this.#push("message", value));
    ws.on("close", (_err, value) => this.#push("close", value));
    ws.on("error", (err) => this.#push("error", err));
  }

  #push(type: EventType, value: unknown): void {
    this.events.push({ type, value });
    for (const listener of [...this.#listeners]) listener();
  }

  types(): string[] {
    return this.events.map((e) => e.type);
  }

  of<T extends EventType>(type: T): EventValues[T][] {
    return this.events.filter((e) => e.type === type).map((e) => e.value as EventValues[T]);
  }

  /** Waits (bounded) until `count` events of `type` have been seen; returns the last one. */
  async waitFor<T extends EventType>(type: T, ms = 2000, count = 1): Promise<EventValues[T]> {
    let listener: (() => void) | undefined;
    const seen = new Promise<void>((resolve) => {
      listener = () => {
        if (this.of(type).length >= count) resolve();
      };
      this.#listeners.add(listener);
      listener();
    });
    try {
      await within(seen, `${count} '${type}' event(s); saw ${this.types().join(",")}`, ms);
    } finally {
      this.#listeners.delete(listener!);
    }
    return this.of(type)[count - 1];
  }
}
