import autocannon from "autocannon";

export interface LoadOptions {
  port: number;
  /** Seconds. */
  duration: number;
  connections: number;
  headers?: Record<string, string>;
  /** The body of the i-th request (0-based, in the order autocannon builds them). */
  body(i: number, context: Record<string, unknown>): string;
  /** Sees every response with the context its request was built with. */
  onResponse?(status: number, body: string, context: Record<string, unknown>): void;
}

export interface LoadResult {
  /** Requests answered with a 2xx, per second over the run. */
  perSecond: number;
  p50: number;
  p99: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  seconds: number;
}

/** Runs autocannon against 127.0.0.1 only: POST /api/v1/messages with a JSON body per request. */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  let i = 0;
  const request: autocannon.Request = {
    method: "POST",
    path: "/api/v1/messages",
    headers: { "content-type": "application/json", ...opts.headers },
    setupRequest: (req, context) => ({ ...req, body: opts.body(i++, context as Record<string, unknown>) }),
  };
  const onResponse = opts.onResponse;
  if (onResponse) request.onResponse = (status, body, context) => onResponse(status, body, context as Record<string, unknown>);
  const result = await autocannon({
    url: `http://127.0.0.1:${opts.port}`,
    connections: opts.connections,
    pipelining: 1,
    duration: opts.duration,
    // Generous: a slow turn should show in p99, not disappear as a timeout.
    timeout: 30,
    requests: [request],
  });
  const ok = result["2xx"];
  const seconds = result.duration;
  return {
    perSecond: seconds > 0 ? ok / seconds : 0,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    seconds,
  };
}
