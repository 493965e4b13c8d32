import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { errors } from "../../http/errors.ts";

const consoleDir = join(dirname(fileURLToPath(import.meta.url)), "../console");
const assets: Record<string, [string, string]> = {
  "console.js": ["application/javascript; charset=utf-8", readFileSync(join(consoleDir, "console.js"), "utf8")],
  "console.css": ["text/css; charset=utf-8", readFileSync(join(consoleDir, "console.css"), "utf8")],
};
const page = readFileSync(join(consoleDir, "index.html"), "utf8");

// The console's own page: no inline scripts, nothing from other origins, never framed.
const CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** The staff console: static HTML/JS/CSS served at /staff, no build step. */
export function staffConsoleRoutes(): FastifyPluginAsyncZod {
  return async (app) => {
    const sendPage = async (_request: unknown, reply: import("fastify").FastifyReply) =>
      reply
        .type("text/html; charset=utf-8")
        .header("cache-control", "no-store")
        .header("content-security-policy", CSP)
        .header("x-frame-options", "DENY")
        .header("referrer-policy", "no-referrer")
        .send(page);
    app.get("/staff", { schema: { hide: true } }, sendPage);
    app.get("/staff/", { schema: { hide: true } }, sendPage);
    app.get("/staff/assets/:file", { schema: { hide: true, params: z.object({ file: z.string() }) } }, async (request, reply) => {
      const asset = assets[request.params.file];
      if (!asset) throw errors.notFound();
      return reply.type(asset[0]).header("cache-control", "no-cache").send(asset[1]);
    });
  };
}
