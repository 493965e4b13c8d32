import { isIP } from "node:net";
import { z } from "zod";
import { passwordProblem, passwordProblemEnglish } from "../staff/password-policy.ts";
import { DEFAULT_RETENTION, type RetentionPolicy } from "../domain/retention.ts";

/** Empty strings count as missing, so `FOO=` in a .env file means "use the default". */
const optionalString = z.preprocess(
  (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
  z.string().trim().optional(),
);

const withDefault = <T extends z.ZodTypeAny>(schema: T, fallback: z.input<T>) =>
  z.preprocess((v) => (v === undefined || (typeof v === "string" && v.trim() === "") ? fallback : v), schema);

const url = z.preprocess(
  (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
  z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
);

const windowSchema = z
  .string()
  .trim()
  .refine((v) => v === "" || /^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/.test(v), {
    error: "must be HH:MM-HH:MM (24-hour, local time) or empty",
  })
  .transform((v) => {
    if (v === "") return null;
    const [from, to] = v.split("-") as [string, string];
    return { from, to };
  });

const timeZone = z
  .string()
  .trim()
  .refine(
    (tz) => {
      try {
        new Intl.DateTimeFormat("en", { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    },
    { error: "must be an IANA time zone such as Asia/Shanghai" },
  );

const hex64 = z.preprocess(
  (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
  z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, { error: "must be 64 hexadecimal characters (32 bytes)" })
    .optional(),
);

const bool = (fallback: boolean) =>
  withDefault(
    z
      .enum(["true", "false", "1", "0", "yes", "no"], { error: "must be true or false" })
      .transform((v) => ["true", "1", "yes"].includes(v)),
    fallback ? "true" : "false",
  );

/**
 * One trusted proxy: an IPv4/IPv6 address, a CIDR range, or one of proxy-addr's names
 * (loopback, linklocal, uniquelocal). Anything broader ("true", "*") is refused: trusting every
 * sender lets a client write its own X-Forwarded-For.
 */
function isProxyEntry(entry: string): boolean {
  if (["loopback", "linklocal", "uniquelocal"].includes(entry)) return true;
  const [address, prefix, extra] = entry.split("/");
  if (extra !== undefined || !address) return false;
  const family = isIP(address);
  if (!family) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

const trustProxy = z.preprocess(
  (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return [] as string[];
      const entries = v
        .split(",")
        .map((e) => e.trim())
        .filter(Boolean);
      for (const entry of entries) {
        if (!isProxyEntry(entry)) {
          ctx.addIssue({
            code: "custom",
            message: `"${entry}" is not an address or CIDR range (e.g. 127.0.0.1,10.0.0.0/8); list only your own proxies`,
          });
          return z.NEVER;
        }
      }
      return entries;
    }),
);

const positiveInt = (fallback: number) => withDefault(z.coerce.number().int().positive(), fallback);

/** Every environment variable the service reads, parsed once at start-up. */
export const envSchema = z
  .object({
    PORT: withDefault(z.coerce.number().int().min(0).max(65535), 3000),
    HOST: withDefault(z.string().trim().min(1), "127.0.0.1"),
    DATABASE_URL: withDefault(
      z
        .string()
        .trim()
        .regex(/^(file:.+|postgres(ql)?:\/\/.+)$/i, {
          error: 'must be a SQLite "file:" path (file:./data/app.db) or a postgresql://user:password@host:port/db URL',
        }),
      "file:./data/app.db",
    ),
    /** Generated secrets and the WeChat session; default: the SQLite file's directory, or ./data. */
    DATA_DIR: optionalString,
    /** Connections per instance to PostgreSQL (ignored on SQLite). */
    DATABASE_POOL_SIZE: positiveInt(10),
    API_TOKEN: z.preprocess(
      (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
      z.string().min(8, { error: "must be at least 8 characters" }).optional(),
    ),
    API_WEBHOOK_URL: url,
    STAFF_ADMIN_USERNAME: optionalString,
    // Checked against the staff password policy below (it needs the username too).
    STAFF_ADMIN_PASSWORD: z.preprocess((v) => (typeof v === "string" && v === "" ? undefined : v), z.string().optional()),
    OPENAI_API_KEY: optionalString,
    OPENAI_BASE_URL: url,
    OPENAI_MODEL: optionalString,
    WECHATY_PUPPET: optionalString,
    TZ: withDefault(timeZone, "Asia/Shanghai"),
    // The contract: unset means the default window, an explicit empty value means no quiet hours.
    REMINDER_QUIET_HOURS: z.preprocess((v) => (v === undefined ? "21:00-08:00" : v), windowSchema),
    // Extras beyond the external contract, all optional.
    LOG_LEVEL: withDefault(z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]), "info"),
    /** auto: readable lines when stdout is a terminal, JSON lines otherwise (files, journald, a collector). */
    LOG_FORMAT: withDefault(z.enum(["auto", "json", "pretty"], { error: "must be auto, json or pretty" }), "auto"),
    /**
     * Proxies whose X-Forwarded-For (and -Proto) is believed: addresses or CIDR ranges, comma
     * separated. Unset: none, so the address is the TCP peer's and a client cannot choose its own.
     */
    TRUST_PROXY: trustProxy,
    /** New web-chat sessions (cookies) one address may start per minute. */
    WEB_SESSIONS_PER_MINUTE: positiveInt(30),
    DATA_ENCRYPTION_KEY: hex64,
    SESSION_SECRET: z.preprocess(
      (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
      z.string().min(32, { error: "must be at least 32 characters" }).optional(),
    ),
    RATE_LIMIT_PER_MINUTE: positiveInt(20),
    OFFICE_HOURS: withDefault(windowSchema, "09:00-17:30"),
    LLM_TIMEOUT_MS: positiveInt(4000),
    WECHATY_ACCEPT_FRIENDS: bool(true),
    WECHATY_DAILY_CAP: positiveInt(500),
    WECHATY_MIN_GAP_MS: positiveInt(4000),
    REMINDER_CRON: withDefault(z.string().trim().min(1), "*/15 * * * *"),
    /** How long a delivery claimed by an instance holds without renewal before another may take it over. */
    DELIVERY_LEASE_MS: withDefault(z.coerce.number().int().min(2_000, { error: "must be at least 2000 (ms)" }), 60_000),
    /** How long the scheduler's leader holds its lease without renewal (another instance takes over after it). */
    SCHEDULER_LEASE_MS: positiveInt(30_000),
    /** Catalogue entries not reviewed for this many days are flagged in the knowledge editor. */
    KNOWLEDGE_REVIEW_DAYS: positiveInt(180),
    /** When set, GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>`. */
    METRICS_TOKEN: optionalString,
    // Retention (src/domain/retention.ts): the consent notices state these periods.
    /** Days a conversation's transcript is kept after its last message. */
    RETENTION_TRANSCRIPT_DAYS: positiveInt(DEFAULT_RETENTION.transcriptDays),
    /** Days a decided application (and its personal data) is kept after the decision. */
    RETENTION_APPLICATION_DAYS: positiveInt(DEFAULT_RETENTION.applicationDays),
  })
  .superRefine((env, ctx) => {
    if (env.STAFF_ADMIN_USERNAME && !env.STAFF_ADMIN_PASSWORD) {
      ctx.addIssue({ code: "custom", path: ["STAFF_ADMIN_PASSWORD"], message: "is required when STAFF_ADMIN_USERNAME is set" });
    }
    if (env.STAFF_ADMIN_PASSWORD) {
      const problem = passwordProblem(env.STAFF_ADMIN_PASSWORD, env.STAFF_ADMIN_USERNAME);
      if (problem) ctx.addIssue({ code: "custom", path: ["STAFF_ADMIN_PASSWORD"], message: passwordProblemEnglish[problem] });
    }
    if (env.STAFF_ADMIN_PASSWORD && !env.STAFF_ADMIN_USERNAME) {
      ctx.addIssue({ code: "custom", path: ["STAFF_ADMIN_USERNAME"], message: "is required when STAFF_ADMIN_PASSWORD is set" });
    }
    if (env.OPENAI_API_KEY && !env.OPENAI_MODEL) {
      ctx.addIssue({ code: "custom", path: ["OPENAI_MODEL"], message: "is required when OPENAI_API_KEY is set" });
    }
  });

export type Env = z.output<typeof envSchema>;

export interface Config extends Env {
  /** Directory holding the SQLite database (if any), generated secrets and the WeChat session. */
  dataDir: string;
  llmEnabled: boolean;
  apiChannelEnabled: boolean;
  retention: RetentionPolicy;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Parses the environment; throws a ConfigError naming each bad variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? "environment");
      return `${name}: ${issue.message}`;
    });
    throw new ConfigError(problems);
  }
  const env = parsed.data;
  // SQLite: the database's directory; PostgreSQL: ./data next to the service.
  const file = env.DATABASE_URL.startsWith("file:") ? env.DATABASE_URL.slice("file:".length) : "./data/app.db";
  const path = decodeURIComponent(file.startsWith("/") ? file : new URL(file, `file://${process.cwd()}/`).pathname);
  return {
    ...env,
    dataDir: env.DATA_DIR ?? (path.slice(0, path.lastIndexOf("/")) || "."),
    llmEnabled: Boolean(env.OPENAI_API_KEY && env.OPENAI_MODEL),
    apiChannelEnabled: Boolean(env.API_TOKEN),
    retention: { transcriptDays: env.RETENTION_TRANSCRIPT_DAYS, applicationDays: env.RETENTION_APPLICATION_DAYS },
  };
}
