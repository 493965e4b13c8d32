import fastifyCookie from "@fastify/cookie";
import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import type { Logger } from "pino";
import { createApiChannel } from "./channels/api/adapter.ts";
import { WebChannel } from "./channels/web/adapter.ts";
import { webChatRoutes } from "./channels/web/routes.ts";
import type { Config } from "./config/config.ts";
import { checkSecretsMatch, loadSecrets } from "./config/secrets.ts";
import type { AppContext } from "./context.ts";
import { Store } from "./data/store.ts";
import { ConflictError } from "./data/errors.ts";
import { buildDialog, llmOf } from "./dialog/build.ts";
import { catalogueReader, previewReplies, previewTurn } from "./dialog/preview.ts";
import { openKnowledge } from "./knowledge/runtime.ts";
import { Engine } from "./dialog/engine.ts";
import { loadFlows } from "./flows/loader.ts";
import { installErrorHandler } from "./http/errors.ts";
import { DOCS_CSP, registerSecurity } from "./http/security.ts";
import { type Clock, systemClock } from "./lib/clock.ts";
import { createLogger } from "./lib/logger.ts";
import { Metrics } from "./ops/metrics.ts";
import { healthRoutes } from "./routes/health.ts";
import { messageRoutes } from "./routes/messages.ts";
import { Dispatcher } from "./outbox/dispatcher.ts";
import { broadcastRoutes } from "./outbox/routes.ts";
import { startJobs } from "./jobs/index.ts";
import { reminderRoutes } from "./reminders/routes.ts";
import { staffPlugin } from "./staff/index.ts";

export interface BuildOptions {
  config: Config;
  clock?: Clock;
  logger?: Logger;
  /** Skip background jobs (schedulers, dispatchers): tests drive them explicitly. */
  jobs?: boolean;
  /** The folder of catalogue files synced at start-up (default: knowledge/). */
  knowledgeDir?: string;
  /** How often to check for a catalogue published elsewhere (default 2 s; tests prove NOTIFY alone with a long one). */
  knowledgeCheckMs?: number;
}

export interface BuiltApp {
  app: FastifyInstance;
  ctx: AppContext;
}

/** Builds the whole service (database, engine, channels, routes) without listening. */
export async function buildApp(options: BuildOptions): Promise<BuiltApp> {
  const { config } = options;
  const log = options.logger ?? createLogger(config.LOG_LEVEL, undefined, config.LOG_FORMAT);
  const clock = options.clock ?? systemClock;
  const store = await Store.open(config.DATABASE_URL, { log, poolSize: config.DATABASE_POOL_SIZE });
  log.info({ database: store.dialect, where: store.where, instance: store.instanceId }, "database ready");
  const secrets = loadSecrets(config);
  await checkSecretsMatch(store, secrets, clock.now());
  // knowledge/*.md brought into the database (it is authoritative once seeded), then the
  // published catalogue, rebuilt in every instance when staff publish.
  const knowledge = await openKnowledge({
    store,
    log,
    now: clock.now(),
    isConflict: (err) => err instanceof ConflictError,
    ...(options.knowledgeDir ? { dir: options.knowledgeDir } : {}),
    ...(options.knowledgeCheckMs ? { checkEveryMs: options.knowledgeCheckMs } : {}),
  });
  const flows = loadFlows(undefined, config.retention);
  const llm = llmOf(config, log);
  const dialog = await buildDialog({
    config,
    secrets,
    clock,
    log,
    store,
    catalogue: catalogueReader(() => knowledge.current),
    flows,
    llm,
  });
  let metrics: Metrics | undefined;
  const engine = new Engine({
    onTurn: (channel, result, ms) => metrics?.turnFinished(channel, result, ms),
    store: store.turns,
    dialog,
    clock,
    log,
    rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
  });
  const web = new WebChannel(store);
  const channels: AppContext["channels"] = new Map();
  const dispatcher = new Dispatcher({
    outbox: store.outbox,
    channels,
    clock,
    log,
    quietHours: config.REMINDER_QUIET_HOURS,
    leaseMs: config.DELIVERY_LEASE_MS,
    onOutcome: (channel, outcome) => metrics?.delivery(channel, outcome),
    timeZone: config.TZ,
  });
  const ctx: AppContext = {
    config,
    secrets,
    store,
    clock,
    log,
    engine,
    channels,
    dispatcher,
    get catalogue() {
      return knowledge.current;
    },
    knowledge,
    preview: (catalogue, question, topic) => previewReplies(dialog, catalogue, previewTurn(question, clock.now(), topic)),
    flows,
    onClose: [() => knowledge.stop()],
  };
  metrics = new Metrics(store, () => ctx.leadership?.isLeader ?? false);
  ctx.metrics = metrics;
  ctx.channels.set("web", web);
  if (config.apiChannelEnabled) ctx.channels.set("api", createApiChannel(config));
  // WeChat only when a puppet is configured; without it the service runs unchanged.
  // Loaded lazily: importing wechaty costs over a second of start-up that a service without
  // WeChat should not pay.
  const wechat = config.WECHATY_PUPPET ? new (await import("./channels/wechaty/adapter.ts")).WechatChannel(ctx) : undefined;
  if (wechat) {
    ctx.channels.set("wechat", wechat);
    ctx.wechatStatus = () => wechat.status();
    ctx.onClose.push(() => wechat.stop());
  }

  const app: FastifyInstance = Fastify({
    loggerInstance: log as unknown as FastifyBaseLogger,
    bodyLimit: 1024 * 1024 * 8,
    // Only the listed proxies' X-Forwarded-For counts; unset, the address is the TCP peer's.
    trustProxy: config.TRUST_PROXY.length ? config.TRUST_PROXY : false,
    genReqId: () => crypto.randomUUID(),
    requestIdHeader: "x-request-id",
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);

  await app.register(fastifyCookie, { secret: secrets.sessionSecret });
  await registerSecurity(app, { limits: store.limits, clock });
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: "甬居助手 API", version: "1.0.0", description: "Resident messages and the staff API of 甬居助手." },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: "/docs", staticCSP: DOCS_CSP });

  await app.register(healthRoutes(ctx));
  await app.register(messageRoutes(ctx));
  await app.register(webChatRoutes(ctx));
  await app.register(staffPlugin(ctx));
  await app.register(reminderRoutes(ctx));
  await app.register(broadcastRoutes(ctx));

  app.addHook("onClose", async () => {
    for (const close of [...ctx.onClose].reverse()) await close();
    await store.close();
  });
  if (options.jobs !== false) startJobs(ctx, wechat);
  // Without background jobs (tests, tools) there is one instance: WeChat starts at once.
  // Last, once everything inbound messages reach exists; never throws (it reconnects instead).
  else await wechat?.start();
  return { app, ctx };
}
