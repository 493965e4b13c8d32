import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");

/**
 * Finds a function another part of the project exports, by name, in the given folders
 * (`index.ts` and files named like the folder first). The benchmark runs against features
 * that land at different times; a missing one becomes a row that says so instead of a crash.
 */
export async function findExport<T = (...args: never[]) => unknown>(
  folders: string[],
  names: string[],
): Promise<{ fn: T; name: string; file: string } | null> {
  for (const folder of folders) {
    const dir = join(root, folder);
    if (!existsSync(dir)) continue;
    const files = readdirSync(dir)
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts") && !f.endsWith(".test.ts"))
      .sort((a, b) => rank(a, folder) - rank(b, folder) || a.localeCompare(b));
    for (const file of files) {
      const path = join(dir, file);
      // Import only files that mention the name: importing a module can have side effects.
      const source = readFileSync(path, "utf8");
      const name = names.find((n) => new RegExp(`export\\s+(async\\s+)?(function|const|let)\\s+${n}\\b`).test(source));
      if (!name) continue;
      const mod = (await import(path)) as Record<string, unknown>;
      if (typeof mod[name] === "function") return { fn: mod[name] as T, name, file: `${folder}/${file}` };
    }
  }
  return null;
}

function rank(file: string, folder: string): number {
  const base = folder.split("/").pop() ?? "";
  if (file === "index.ts") return 0;
  if (file.startsWith(base.replace(/s$/, ""))) return 1;
  return 2;
}
