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
        method.apply(this, args.map((a) => scrub(a)) as Parameters<typeof method>);
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
