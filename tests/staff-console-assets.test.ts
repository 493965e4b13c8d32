/**
 * The console's files as the browser gets them: the page loads one ES module, every module it
 * imports (transitively) is served as JavaScript, Chart.js comes from the service itself, type
 * declarations and the tsconfig are not served, and an unchanged module is answered 304.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "./helpers/app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t?.close();
});

const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: "GET", url, headers });

describe("the staff console's assets", () => {
  it("load as ES modules from the page, every import served as JavaScript", async () => {
    const page = await get("/staff");
    expect(page.body).toContain('<script type="module" src="/staff/assets/main.js"></script>');
    // No inline script: every <script> has a src.
    expect(page.body.match(/<script(?![^>]*\bsrc=)[^>]*>/g)).toBeNull();

    const seen = new Set<string>();
    const queue = ["main.js"];
    while (queue.length) {
      const path = queue.shift()!;
      if (seen.has(path)) continue;
      seen.add(path);
      const res = await get(`/staff/assets/${path}`);
      expect(res.statusCode, path).toBe(200);
      expect(res.headers["content-type"], path).toBe("application/javascript; charset=utf-8");
      for (const [, spec] of res.body.matchAll(/^import\s[^"]*"([^"]+)";$/gm)) {
        expect(spec, `${path} imports ${spec}`).toMatch(/^\.\.?\/.*\.js$/);
        queue.push(new URL(spec!, `http://x/${path}`).pathname.slice(1));
      }
    }
    // One module per screen, and the shared pieces.
    expect([...seen]).toEqual(expect.arrayContaining(["lib/api.js", "lib/dom.js", "screens/queue.js", "screens/dashboard.js"]));
    expect(seen.size).toBeGreaterThan(15);
  });

  it("serve Chart.js from the installed package, and nothing that is not meant for the browser", async () => {
    const chart = await get("/staff/assets/vendor/chart.umd.min.js");
    expect(chart.statusCode).toBe(200);
    expect(chart.body).toContain("Chart.js v4.");
    for (const path of ["types.d.ts", "tsconfig.json", "../routes/console.ts", "lib/../../routes/console.ts", "console.js"]) {
      expect((await get(`/staff/assets/${path}`)).statusCode, path).toBe(404);
    }
  });

  it("answer 304 to a browser that has the module already", async () => {
    const first = await get("/staff/assets/lib/dom.js");
    expect(first.headers["cache-control"]).toBe("no-cache");
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^".+"$/);
    const again = await get("/staff/assets/lib/dom.js", { "if-none-match": etag });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe("");
  });
});
