import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { errors } from "../../http/errors.ts";

const consoleDir = join(dirname(fileURLToPath(import.meta.url)), "../console");
const types: Record<string, string> = {
  ".js": "application/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

interface Asset {
  type: string;
  body: string;
  etag: string;
}

const asset = (type: string, body: string): Asset => ({
  type,
  body,
  etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`,
});

/**
 * Every module and stylesheet of the console, by its path under the console folder
 * ("main.js", "screens/queue.js"), read once at start: the browser loads the ES modules as they
 * are written (checked by `npm run typecheck`, nothing to build). Type declarations and the
 * tsconfig are not served.
 */
function consoleAssets(): Map<string, Asset> {
  // A Map, not an object: an asset name such as "constructor" or "__proto__" must be unknown (404), not Object's own.
  const assets = new Map<string, Asset>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (types[extname(entry.name)] && !entry.name.endsWith(".d.ts")) {
        assets.set(
          relative(consoleDir, path).split(sep).join("/"),
          asset(types[extname(entry.name)]!, readFileSync(path, "utf8")),
        );
      }
    }
  };
  walk(consoleDir);
  // Chart.js for the dashboard, from the installed package (its UMD build defines window.Chart):
  // served by the service itself, the machines are offline.
  const chartDist = dirname(createRequire(import.meta.url).resolve("chart.js"));
  assets.set("vendor/chart.umd.min.js", asset(types[".js"]!, readFileSync(join(chartDist, "chart.umd.min.js"), "utf8")));
  return assets;
}

/** The staff console: static HTML, ES modules and CSS served at /staff, no build step. */
export function staffConsoleRoutes(): FastifyPluginAsyncZod {
  const assets = consoleAssets();
  const page = readFileSync(join(consoleDir, "index.html"), "utf8");
  return async (app) => {
    // Security headers (a CSP without inline scripts, never framed, no referrer, nosniff) and
    // no-store come from src/http/security.ts, for this page as for every response.
    const sendPage = async (_request: unknown, reply: FastifyReply) => reply.type("text/html; charset=utf-8").send(page);
    app.get("/staff", { schema: { hide: true } }, sendPage);
    app.get("/staff/", { schema: { hide: true } }, sendPage);
    app.get(
      "/staff/assets/*",
      { schema: { hide: true, params: z.object({ "*": z.string() }) } },
      async (request: FastifyRequest<{ Params: { "*": string } }>, reply) => {
        const found = assets.get(request.params["*"]);
        if (!found) throw errors.notFound();
        // no-cache: revalidated on every load, answered 304 while unchanged (a dozen modules).
        reply.header("cache-control", "no-cache").header("etag", found.etag);
        if (request.headers["if-none-match"] === found.etag) return reply.code(304).send();
        return reply.type(found.type).send(found.body);
      },
    );
  };
}
