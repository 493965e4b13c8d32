import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { errors } from "../../http/errors.ts";

const consoleDir = join(dirname(fileURLToPath(import.meta.url)), "../console");
// A Map, not an object: an asset name such as "constructor" or "__proto__" must be unknown (404), not Object's own.
const assets = new Map<string, [string, string]>([
  ["console.js", ["application/javascript; charset=utf-8", readFileSync(join(consoleDir, "console.js"), "utf8")]],
  ["console.css", ["text/css; charset=utf-8", readFileSync(join(consoleDir, "console.css"), "utf8")]],
]);
const page = readFileSync(join(consoleDir, "index.html"), "utf8");

/** The staff console: static HTML/JS/CSS served at /staff, no build step. */
export function staffConsoleRoutes(): FastifyPluginAsyncZod {
  return async (app) => {
    // Security headers (a CSP without inline scripts, never framed, no referrer, nosniff) and
    // no-store come from src/http/security.ts, for this page as for every response.
    const sendPage = async (_request: unknown, reply: import("fastify").FastifyReply) =>
      reply.type("text/html; charset=utf-8").send(page);
    app.get("/staff", { schema: { hide: true } }, sendPage);
    app.get("/staff/", { schema: { hide: true } }, sendPage);
    app.get("/staff/assets/:file", { schema: { hide: true, params: z.object({ file: z.string() }) } }, async (request, reply) => {
      const asset = assets.get(request.params.file);
      if (!asset) throw errors.notFound();
      return reply.type(asset[0]).header("cache-control", "no-cache").send(asset[1]);
    });
  };
}
