/** Injectable time source so reminders, rate limits and stale flows can be tested. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export class ManualClock implements Clock {
  constructor(private t: number = Date.now()) {}
  now(): number {
    return this.t;
  }
  set(t: number | Date | string): void {
    this.t = typeof t === "number" ? t : new Date(t).getTime();
  }
  advance(ms: number): void {
    this.t += ms;
  }
}
