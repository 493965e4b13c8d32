// Compares this checkout with an older one on the same machine at the same time: both services
// (SQLite) loaded together in many short slices, so that both see the same machine; server CPU per
// answered request for each, and the ratio per slice. The older checkout needs its dependencies
// installed (or a node_modules link) and a bench/lib/serve.ts, as this one has since 2026-11-28.
//   git worktree add /tmp/old 0626bb2 && ln -s "$PWD/node_modules" /tmp/old/node_modules
//   npx tsx bench/compare.ts /tmp/old cat 10 3      (or flow)
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startChild, type Child } from "./lib/child.ts";
import { FlowDriver } from "./lib/flow-driver.ts";
import { runLoad } from "./lib/load.ts";
const [oldRoot, mode = "cat", slicesArg = "10", secondsArg = "3", warmupArg = "3"] = process.argv.slice(2);
if (!oldRoot || !["cat", "flow"].includes(mode)) {
  console.error("usage: npx tsx bench/compare.ts <older checkout> [cat|flow] [slices] [seconds per slice]");
  process.exit(2);
}
const newRoot = fileURLToPath(new URL("..", import.meta.url));
const env = (db: string) => ({
  DATABASE_URL: `file:${db}`,
  API_TOKEN: "bench-token-0123456789",
  LOG_LEVEL: "silent",
  RATE_LIMIT_PER_MINUTE: "1000000",
  REMINDER_QUIET_HOURS: "",
  OPENAI_API_KEY: "",
  OPENAI_MODEL: "",
  WECHATY_PUPPET: "",
  API_WEBHOOK_URL: "",
  TZ: "Asia/Shanghai",
});
const start = async (root: string) => {
  const dir = mkdtempSync(join(tmpdir(), "ab-"));
  const profDir = process.env.AB_PROF ? `${process.env.AB_PROF}/${root === oldRoot ? "base" : "new"}` : null;
  const { child, ready } = await startChild<{ port: number; type: string }>(`${root}/bench/lib/serve.ts`, {
    env: { ...env(join(dir, "app.db")), DATA_DIR: dir },
    execArgv: profDir ? ["--cpu-prof", `--cpu-prof-dir=${profDir}`] : [],
  });
  return { child, port: ready.port };
};
const [base, fresh] = await Promise.all([start(oldRoot), start(newRoot)]);
const cpu = async (c: Child) => (await c.ask<{ micros: number }>({ type: "cpu" }, "cpu")).micros;
const headers = { authorization: "Bearer bench-token-0123456789" };
const load = (port: number, driver: FlowDriver, seconds: number) =>
  runLoad({
    ports: [port],
    connections: 10,
    duration: seconds,
    headers,
    body: (i, ctx) => {
      const user = `${mode}-${i % 1000}`;
      ctx.user = user;
      return JSON.stringify({ channel: "api", userId: user, text: mode === "flow" ? driver.next(user) : "居住证怎么续签" });
    },
    ...(mode === "flow"
      ? { onResponse: (s: number, b: string, ctx: Record<string, unknown>) => driver.record(ctx.user as string, s, b) }
      : {}),
  });
const dBase = new FlowDriver("我要办居住登记"),
  dNew = new FlowDriver("我要办居住登记");
const warmup = Number(warmupArg);
const [w1, w2] = await Promise.all([load(base.port, dBase, warmup), load(fresh.port, dNew, warmup)]);
let okBase = w1.ok,
  okNew = w2.ok;
const ratios: number[] = [],
  b: number[] = [],
  n: number[] = [];
for (let s = 0; s < Number(slicesArg); s++) {
  const [b0, n0] = await Promise.all([cpu(base.child), cpu(fresh.child)]);
  const [rb, rn] = await Promise.all([load(base.port, dBase, Number(secondsArg)), load(fresh.port, dNew, Number(secondsArg))]);
  const [b1, n1] = await Promise.all([cpu(base.child), cpu(fresh.child)]);
  const cb = (b1 - b0) / rb.ok,
    cn = (n1 - n0) / rn.ok;
  okBase += rb.ok;
  okNew += rn.ok;
  b.push(cb);
  n.push(cn);
  ratios.push(cn / cb);
  console.log(
    `slice ${s}: base ${cb.toFixed(0)} µs (${rb.perSecond.toFixed(0)}/s, ${rb.non2xx} non-2xx) · new ${cn.toFixed(0)} µs (${rn.perSecond.toFixed(0)}/s, ${rn.non2xx} non-2xx) · new/base ${(cn / cb).toFixed(2)}`,
  );
}
const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
console.log(
  `${mode}: median base ${med(b).toFixed(0)} µs, new ${med(n).toFixed(0)} µs; min base ${Math.min(...b).toFixed(0)}, new ${Math.min(...n).toFixed(0)}; new/base per slice median ${med(ratios).toFixed(2)} (range ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`,
);
await Promise.all([base.child.stop(), fresh.child.stop()]);
console.log(`answered (warm-up included): base ${okBase}, new ${okNew}`);
