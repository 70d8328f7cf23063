// The messages of bench/deflate.ts, shared by its driver and its peers.

/** 1 KiB of telemetry JSON; 256 variants, so the dictionary does not see one string. */
export function message(i) {
  const body = {
    id: i,
    type: "telemetry",
    device: `sensor-${i % 64}`,
    ts: 1_700_000_000_000 + i,
    values: Array.from({ length: 40 }, (_, k) => (i * 31 + k * 7) % 1000),
    tags: ["alpha", "beta", "gamma", "delta"],
    status: { ok: true, battery: 87, firmware: "4.2.1" },
  };
  return JSON.stringify(body).padEnd(1024, " ").slice(0, 1024);
}
