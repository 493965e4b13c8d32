// Child process for bench/retention.ts: the real service (buildApp, jobs off) on loopback, which
// runs the retention job in its own event loop when asked ("retention"), as the scheduler's
// leader does at night, and replies with what it deleted and how long it took.
import { buildApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config/config.ts";
import { runRetention } from "../../src/jobs/retention.ts";

const send = (msg: unknown) => process.send?.(msg);

const config = loadConfig(process.env);
const { app, ctx } = await buildApp({ config, jobs: false });
await app.listen({ host: "127.0.0.1", port: 0 });
const address = app.server.address();
const port = typeof address === "object" && address ? address.port : 0;

process.on("message", async (msg: { type: string }) => {
  if (msg.type === "retention") {
    const result = await runRetention(
      { retention: ctx.store.retention, policy: ctx.config.retention, log: ctx.log },
      ctx.clock.now(),
    );
    send({ type: "retention", ...result });
  } else if (msg.type === "close") {
    await app.close();
    process.exit(0);
  }
});
process.on("disconnect", () => process.exit(0));
send({ type: "ready", port });
