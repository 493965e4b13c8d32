import { buildApp } from "./app.ts";
import { ConfigError, loadConfig } from "./config/config.ts";
import { loadDotEnv } from "./config/env-file.ts";
import { SecretsMismatchError } from "./config/secrets.ts";
import { FlowFileError } from "./flows/loader.ts";
import { CatalogueError } from "./knowledge/load.ts";

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  let envFile: string | null;
  try {
    // Before the time zone is read: TZ may come from .env too.
    envFile = loadDotEnv();
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  // Reminders and quiet hours are local times; the contract's default zone is Asia/Shanghai.
  process.env.TZ = config.TZ;
  const { app, ctx } = await buildApp({ config, jobs: true });
  await app.listen({ port: config.PORT, host: config.HOST });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.PORT;
  ctx.log.info(
    {
      llm: config.llmEnabled,
      api: config.apiChannelEnabled,
      wechat: Boolean(config.WECHATY_PUPPET),
      database: ctx.store.dialect,
      instance: ctx.store.instanceId,
      port,
      envFile,
    },
    `甬居助手 is ready at http://${config.HOST}:${port}`,
  );

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    // Drain: /readyz answers 503 at once (a load balancer stops sending here), the listener
    // closes, in-flight requests finish, the dispatcher finishes the send under way and returns
    // what it claimed but did not send, the scheduler lease is released for another instance.
    ctx.draining = true;
    ctx.log.info({ signal }, "shutting down: draining in-flight requests");
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    try {
      await app.close();
      process.exit(0);
    } catch (err) {
      ctx.log.error({ err }, "error during shutdown");
      process.exit(1);
    }
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

main().catch((err) => {
  // Content errors (a broken catalogue entry or flow file) name the file and field: say just that.
  if (err instanceof CatalogueError || err instanceof FlowFileError || err instanceof SecretsMismatchError) {
    console.error(`Cannot start: ${err.message}`);
  } else console.error(err);
  process.exit(1);
});
