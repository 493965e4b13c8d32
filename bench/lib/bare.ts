// Child process: a bare Fastify hello-world with the message API's request shape, the machine's
// ceiling for small JSON POSTs measured in the same run.
import Fastify from "fastify";

const app = Fastify({ logger: false });
app.post("/api/v1/messages", async () => ({ conversationId: "bare", replies: [{ text: "你好" }], handoff: false }));
await app.listen({ host: "127.0.0.1", port: 0 });
const address = app.server.address();
const port = typeof address === "object" && address ? address.port : 0;

process.on("message", async (msg: { type: string }) => {
  if (msg.type === "cpu") {
    const { user, system } = process.cpuUsage();
    process.send?.({ type: "cpu", micros: user + system });
  } else if (msg.type === "close") {
    await app.close();
    process.exit(0);
  }
});
process.on("disconnect", () => process.exit(0));
process.send?.({ type: "ready", port });
