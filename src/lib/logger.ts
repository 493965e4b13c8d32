import pino, { type Logger } from "pino";
import pinoPretty from "pino-pretty";
import { redactPersonalData } from "./text.ts";

function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redactPersonalData(value);
  if (depth > 4 || value === null || typeof value !== "object") return value;
  // Only plain objects: pino's serializers need the real request, response and error objects.
  if (Object.getPrototypeOf(value) !== Object.prototype && !Array.isArray(value)) return value;
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrub(v, depth + 1);
  return out;
}

/**
 * A request URL with every ID and phone number masked, however it was written: in the path or
 * the query, percent-encoded (%20 between groups, full-width digits), or with "+" for a space.
 * Unchanged when it holds none, so ordinary URLs stay exactly as requested.
 */
export function redactUrl(url: string): string {
  let decoded = url;
  try {
    decoded = decodeURIComponent(url.replace(/\+/g, " "));
  } catch {
    // A malformed escape: read what is there as it is.
  }
  const masked = redactPersonalData(decoded);
  return masked === decoded ? redactPersonalData(url) : masked;
}

/**
 * Serializers run after the logMethod hook, on objects it cannot see into (Fastify's request,
 * errors): they mask what those carry. Fastify's own request serializer is replaced by this one.
 */
const serializers: pino.LoggerOptions["serializers"] = {
  req(req: { method?: string; url?: string; host?: string; ip?: string; socket?: { remotePort?: number } }) {
    return {
      method: req.method,
      url: typeof req.url === "string" ? redactUrl(req.url) : req.url,
      host: req.host,
      remoteAddress: req.ip,
      remotePort: req.socket?.remotePort,
    };
  },
  // An error's message, stack and own properties (a database error's `detail` repeats the row's
  // values) are masked like any other text.
  err: (err: Error) => scrubSerialized(pino.stdSerializers.err(err)),
};

/** Like `scrub`, for what a serializer returned (its prototype may carry the fields: pino's errors). */
function scrubSerialized(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redactPersonalData(value);
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (ArrayBuffer.isView(value)) return "[binary]";
  if (Array.isArray(value)) return value.map((v) => scrubSerialized(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const key in value) out[key] = scrubSerialized((value as Record<string, unknown>)[key], depth + 1);
  return out;
}

/**
 * Structured logs; tokens, cookies, ID numbers and phone numbers never reach them. `format`:
 * JSON lines (for files, journald, a log collector), readable coloured lines (pino-pretty) for a
 * person at a terminal, or "auto" — readable when stdout is a terminal, JSON otherwise.
 */
export function createLogger(
  level: string,
  destination?: pino.DestinationStream,
  format: "auto" | "json" | "pretty" = "auto",
): Logger {
  const options: pino.LoggerOptions = {
    level,
    serializers,
    redact: {
      paths: [
        "req.headers.authorization",
        "req.headers.cookie",
        'res.headers["set-cookie"]',
        "*.password",
        "*.token",
        "*.idNumber",
        "*.phone",
        "password",
        "token",
        "idNumber",
        "phone",
      ],
      censor: "[redacted]",
    },
    hooks: {
      logMethod(args, method) {
        // log.error(err) takes the error's message as the line's message: masked here like any text.
        const [first, second] = args as unknown[];
        const normalised =
          first instanceof Error && typeof second !== "string" ? [{ err: first }, first.message, ...args.slice(1)] : args;
        method.apply(this, normalised.map((a) => scrub(a)) as Parameters<typeof method>);
      },
    },
  };
  const pretty = format === "pretty" || (format === "auto" && !destination && process.stdout.isTTY === true);
  if (pretty) {
    // In-process and synchronous (no worker thread): a line is on screen before the next one is
    // logged, and nothing is lost when the process exits at once.
    const stream = pinoPretty({
      colorize: !destination && process.stdout.isTTY === true,
      sync: true,
      translateTime: "SYS:HH:MM:ss.l",
      ignore: "pid,hostname",
      ...(destination ? { destination: destination as never } : {}),
    });
    return pino(options, stream);
  }
  return destination ? pino(options, destination) : pino(options);
}
