import autocannon from "autocannon";

export interface LoadOptions {
  /**
   * One port or several (instances of the service on 127.0.0.1). With several, autocannon gives
   * connection i to port i mod n and every connection takes the next request body from one
   * sequence, so a resident's successive messages land on either instance, as behind a
   * round-robin balancer without stickiness.
   */
  ports: number[];
  /** Seconds. */
  duration: number;
  /** Stop after this many requests instead (the duration then only bounds the time). */
  amount?: number;
  /** In total, over all ports. */
  connections: number;
  /** Requests per second over all connections (a steady load); unset: as fast as answers come. */
  overallRate?: number;
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
  const urls = opts.ports.map((port) => `http://127.0.0.1:${port}`);
  const result = await autocannon({
    // autocannon takes several URLs (its types say one): connection i goes to urls[i % n].
    url: (urls.length === 1 ? urls[0] : urls) as string,
    connections: opts.connections,
    pipelining: 1,
    duration: opts.duration,
    ...(opts.amount ? { amount: opts.amount } : {}),
    ...(opts.overallRate ? { overallRate: opts.overallRate } : {}),
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
