// The heartbeat shared by client and server (src/ohos/heartbeat.ts), on a fake clock: when it
// pings, when it gives up, what a pong and stop() change, and that it never leaves a timer
// behind. Deterministic: no real time passes.
import assert from "node:assert/strict";
import type { Alarm, AlarmClock } from "../src/ohos/alarms.ts";
import { Heartbeat } from "../src/ohos/heartbeat.ts";

/** A clock whose time moves only when the test says so; it knows its pending alarms. */
class FakeClock implements AlarmClock {
  now = 0;
  readonly #alarms = new Map<Alarm, number>();

  set(alarm: Alarm, ms: number): void {
    this.#alarms.set(alarm, this.now + ms);
  }

  clear(alarm: Alarm): void {
    this.#alarms.delete(alarm);
  }

  /** Alarms set and not yet fired or cleared. */
  get pending(): number {
    return this.#alarms.size;
  }

  /** Moves time forward by `ms`, firing every alarm that falls due, in order. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (let guard = 0; guard < 10_000; guard++) {
      let due: [Alarm, number] | undefined;
      for (const entry of this.#alarms) {
        if (entry[1] <= end && (due === undefined || entry[1] < due[1])) due = entry;
      }
      if (due === undefined) break;
      this.#alarms.delete(due[0]);
      this.now = due[1];
      due[0].fire();
    }
    this.now = end;
  }
}

/** A heartbeat on a fake clock whose pings and verdicts are recorded with their time. */
function recorded(intervalMs: number, timeoutMs: number, canPing = true) {
  const clock = new FakeClock();
  const pings: number[] = [];
  const deaths: number[] = [];
  const heartbeat = new Heartbeat({ intervalMs, timeoutMs }, {
    sendPing: () => {
      pings.push(clock.now);
      return canPing;
    },
    noPong: () => deaths.push(clock.now),
  }, clock);
  return { heartbeat, clock, pings, deaths };
}

Deno.test("heartbeat rule: a ping intervalMs after start, and without a pong one verdict exactly timeoutMs later; then nothing is pending", () => {
  const { heartbeat, clock, pings, deaths } = recorded(20_000, 20_000);
  heartbeat.start();
  clock.advance(19_999);
  assert.deepEqual(pings, []);
  clock.advance(1);
  assert.deepEqual(pings, [20_000]);
  clock.advance(19_999);
  assert.deepEqual(deaths, []);
  clock.advance(1);
  assert.deepEqual(deaths, [40_000], "dead at interval + timeout");
  assert.equal(clock.pending, 0);
  clock.advance(100_000);
  assert.deepEqual(pings, [20_000], "no ping after the verdict");
});

Deno.test("heartbeat rule: each pong starts a whole interval again, so a peer that answers is pinged every interval and never declared dead", () => {
  const { heartbeat, clock, pings, deaths } = recorded(1000, 500);
  heartbeat.start();
  for (let round = 1; round <= 5; round++) {
    clock.advance(1000);
    assert.equal(pings.length, round);
    clock.advance(100); // the pong takes 100 ms
    heartbeat.pong();
  }
  assert.deepEqual(pings, [1000, 2100, 3200, 4300, 5400]);
  assert.deepEqual(deaths, []);
  assert.equal(clock.pending, 1, "only the next ping is armed");
});

Deno.test("heartbeat rule: an unsolicited pong before the first ping postpones it by a whole interval", () => {
  const { heartbeat, clock, pings } = recorded(1000, 500);
  heartbeat.start();
  clock.advance(600);
  heartbeat.pong();
  clock.advance(999);
  assert.deepEqual(pings, []);
  clock.advance(1);
  assert.deepEqual(pings, [1600]);
});

Deno.test("heartbeat rule: stop() cancels the pending ping or pong timeout and a later pong re-arms nothing", () => {
  for (const stopAt of [500, 1200]) {
    const { heartbeat, clock, pings, deaths } = recorded(1000, 500);
    heartbeat.start();
    clock.advance(stopAt); // before the ping, or while waiting for the pong
    heartbeat.stop();
    heartbeat.pong();
    assert.equal(clock.pending, 0, `stopped at ${stopAt} ms`);
    clock.advance(10_000);
    assert.deepEqual(deaths, []);
    assert.equal(pings.length, stopAt < 1000 ? 0 : 1);
  }
});

Deno.test("heartbeat rule: intervalMs 0 never arms a timer; a ping that cannot be sent (close frame out) arms no pong timeout and gives no verdict", () => {
  const off = recorded(0, 500);
  off.heartbeat.start();
  off.heartbeat.pong();
  assert.equal(off.clock.pending, 0);
  off.clock.advance(1_000_000);
  assert.deepEqual(off.pings, []);

  const closing = recorded(1000, 500, false);
  closing.heartbeat.start();
  closing.clock.advance(1000);
  assert.deepEqual(closing.pings, [1000]);
  assert.equal(closing.clock.pending, 0);
  closing.clock.advance(10_000);
  assert.deepEqual(closing.deaths, []);
});
