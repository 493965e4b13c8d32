import { readFileSync } from "node:fs";
import { relative, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  name: string;
  where: string;
  selfMs: number;
  share: number;
}

/** Where a frame lives: a project file, a package, or Node/V8 itself. */
function place(url: string): string {
  if (!url) return "(native)";
  const path = url.startsWith("file://") ? decodeURIComponent(new URL(url).pathname) : url;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return pkg[1]!;
  if (path.startsWith("node:")) return path;
  return path.startsWith("/") ? relative(root, path) : path;
}

/** Self time by function and by package/file from a `node --cpu-prof` profile. */
export function summariseProfile(file: string, top = 15): { functions: HotSpot[]; places: HotSpot[]; totalMs: number } {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  const fns = new Map<string, HotSpot>();
  const places = new Map<string, HotSpot>();
  let total = 0;
  for (const [id, ms] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === "(idle)" || functionName === "(program)") continue;
    total += ms;
    const where = place(url);
    const name = functionName || "(anonymous)";
    const key = `${name}@${where}:${lineNumber}`;
    const f = fns.get(key) ?? { name, where: `${where}:${lineNumber + 1}`, selfMs: 0, share: 0 };
    f.selfMs += ms;
    fns.set(key, f);
    const p = places.get(where) ?? { name: where, where, selfMs: 0, share: 0 };
    p.selfMs += ms;
    places.set(where, p);
  }
  const rank = (m: Map<string, HotSpot>) =>
    [...m.values()]
      .map((h) => ({ ...h, share: total ? h.selfMs / total : 0 }))
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, top);
  return { functions: rank(fns), places: rank(places), totalMs: total };
}

/** Of several profiles (tsx runs its loader in a worker thread, which gets its own), the busiest one. */
export function busiestProfile(files: string[]): string | undefined {
  let best: { file: string; ms: number } | undefined;
  for (const file of files) {
    const ms = summariseProfile(file, 1).totalMs;
    if (!best || ms > best.ms) best = { file, ms };
  }
  return best?.file;
}

export function formatHotSpots(summary: ReturnType<typeof summariseProfile>): string {
  const pct = (h: HotSpot) => `${(h.share * 100).toFixed(1).padStart(5)}%`;
  return [
    `busy time sampled: ${(summary.totalMs / 1000).toFixed(1)} s (idle excluded)`,
    "self time by package / file:",
    ...summary.places.map((h) => `  ${pct(h)}  ${h.name}`),
    "self time by function:",
    ...summary.functions.map((h) => `  ${pct(h)}  ${h.name}  (${h.where})`),
  ].join("\n");
}

// `tsx bench/lib/profile.ts <file.cpuprofile>` summarises a profile taken by `npm run bench -- --profile`.
if (import.meta.filename === process.argv[1]) {
  const file = process.argv[2];
  if (!file) {
    console.error("usage: tsx bench/lib/profile.ts <file.cpuprofile>");
    process.exit(1);
  }
  console.log(formatHotSpots(summariseProfile(file, Number(process.argv[3] ?? 20))));
}
