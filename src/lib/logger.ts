import pino, { type Logger } from "pino";
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

/** Structured JSON logs; tokens, cookies, ID numbers and phone numbers never reach them. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
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
  return destination ? pino(options, destination) : pino(options);
}
