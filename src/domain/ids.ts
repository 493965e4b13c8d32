import { randomUUID } from "node:crypto";

let lastMs = 0;
let sequence = 0;

/**
 * A UUIDv7: time-ordered, so bulk inserts (a reminder scan, a broadcast) append to the primary-key
 * index instead of touching random pages all over it. Monotonic within one process.
 */
export function orderedId(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    sequence = 0;
  } else if (++sequence > 0xfff) {
    lastMs++;
    sequence = 0;
  }
  // randomUUID draws from a pooled random buffer (fast); keep its random tail and variant bits.
  const ts = (lastMs % 2 ** 48).toString(16).padStart(12, "0");
  return `${ts.slice(0, 8)}-${ts.slice(8)}-7${sequence.toString(16).padStart(3, "0")}-${randomUUID().slice(19)}`;
}
