import { toHalfWidth } from "../lib/personal-numbers.ts";
import { districts, findTown, towns } from "./divisions.ts";

/**
 * Reading a Ningbo address: 宁波市鄞州区首南街道天童社区天童南路588号3幢2单元201室 is split
 * into district, street or township, community (or village), road and number, and building /
 * unit / room. The district comes from the address itself or from its street or township.
 */

export interface AddressParts {
  /** The district named in the address ("鄞州区"; "鄞州" is read as 鄞州区). */
  district?: string;
  /** The district the street or township belongs to. */
  townDistrict?: string;
  /** 街道 or 镇/乡: 首南街道, 姜山镇. */
  street?: string;
  /** 社区 or 村 (居委会): 天童社区, 湾底村. */
  community?: string;
  /** Road and number, or an estate: 天童南路588号, 万科城. */
  road?: string;
  /** Building, unit, floor, room: 3幢2单元201室. */
  building?: string;
}

export interface ParsedAddress extends AddressParts {
  start: number;
  end: number;
  /** The address as typed, without province, city and district (they are kept apart). */
  text: string;
  /** Where that text starts in the input (after province, city and district). */
  bodyStart: number;
  /** Characters of the text the parts account for. */
  covered: number;
  /** Has a house number, building or room. */
  numbered: boolean;
  /** Has a named place: a street, township, community, road or estate. */
  named: boolean;
}

// Characters a place name may have: Han, letters, digits — but not the little words that join a
// sentence, so "天童南路588号上个月搬来的" stops at the date, and "我住在…" never becomes a road name.
const NAME = "(?:(?![的是我在了吗呢吧住租买搬叫])[\\p{Script=Han}A-Za-z0-9])";
const SEP = "[\\s,，、]*";
const LEADING_SEP = new RegExp(`^${SEP}`, "u");

const DISTRICT_NAMES = districts.flatMap((d) => [d.name, d.short]);
const TOWN_NAMES = towns.map((t) => t.name);

/** Longest-first lookup of known names at a position: a Set per length beats a 170-way regex alternation. */
function nameMatcher(names: readonly string[]) {
  const set = new Set(names);
  const lengths = [...new Set(names.map((n) => n.length))].sort((a, b) => b - a);
  return (text: string, at = 0): string | undefined => {
    for (const n of lengths) {
      const word = text.slice(at, at + n);
      if (word.length === n && set.has(word)) return word;
    }
    return undefined;
  };
}
const districtAt = nameMatcher(DISTRICT_NAMES);
const townAt = nameMatcher(TOWN_NAMES);
/** A short district name must not be the start of a road ("江北大道", "象山路" stay roads). */
const NOT_AFTER_DISTRICT = /^(?:路|街|大道|巷|弄|港|湾|公园|大厦|广场|中学|小学)/u;

type PartKind = keyof AddressParts | "prefix" | "number" | "room";
const regexPart = (re: RegExp) => (rest: string) => re.exec(rest)?.[0].length ?? 0;

const PARTS: [PartKind, (rest: string) => number][] = [
  ["prefix", regexPart(/^(?:中国)?(?:浙江省|浙江)?(?:宁波市|宁波)(?!路|街|大道|大厦|广场|银行|大学|站|港)/u)],
  [
    "district",
    (rest) => {
      const name = districtAt(rest);
      return name && !NOT_AFTER_DISTRICT.test(rest.slice(name.length)) ? name.length : 0;
    },
  ],
  [
    "street",
    (rest) => {
      const name = townAt(rest);
      return name ? name.length + (/^(?:办事处|街道办)/.exec(rest.slice(name.length))?.[0].length ?? 0) : 0;
    },
  ],
  ["community", regexPart(new RegExp(`^${NAME}{1,8}?(?:社区|居委会|村委会|村)(?![\\p{Script=Han}]*(?:路|街|大道))`, "u"))],
  ["road", regexPart(new RegExp(`^${NAME}{1,10}?(?:大道|路|街|巷)(?:[0-9]+(?:号(?!楼)|弄|支弄)(?:[0-9]+号(?!楼))?)?`, "u"))],
  [
    "road",
    regexPart(
      new RegExp(
        `^${NAME}{1,10}?(?:小区|花园|花苑|家园|嘉园|名苑|公寓|新村|大厦|广场|公馆|雅苑|山庄|中心|大楼|宿舍|苑|园|庭|府|城|湾|里|坊|邸|轩|阁)`,
        "u",
      ),
    ),
  ],
  ["number", regexPart(/^[0-9]+(?:号院|号(?!楼)|弄)/u)],
  [
    "building",
    regexPart(
      /^(?:[0-9]+(?:幢|栋|号楼|座|#楼|#|组|排)|[A-Za-z]座|[0-9]+单元|[0-9]+(?:楼|层)|[0-9]+(?:-[0-9]+){1,2}(?:室|号)?|[0-9]+(?:室|房|号房))/u,
    ),
  ],
  // A bare number right after a building or house number is the room: 2单元301, 万科城3幢501.
  ["room", regexPart(/^[0-9]{2,5}(?![0-9])/u)],
];

const DIGIT_PARTS = PARTS.filter(([kind]) => kind === "number" || kind === "building" || kind === "room");
const NAME_PARTS = PARTS.filter(([kind]) => !DIGIT_PARTS.some(([k]) => k === kind));
const NUMBER_PARTS = PARTS.filter(([kind]) => kind === "number" || kind === "building").map(([, match]) => match);

/**
 * Reads an address from `from` onwards for as long as address parts follow one another. Returns
 * null when not even one part is there.
 */
export function parseAddressAt(input: string, from = 0): ParsedAddress | null {
  // A message's address is read while finding it and again by the validator: keep the last one.
  if (lastParse?.input === input && lastParse.from === from) return lastParse.result;
  const result = parse(input, from);
  lastParse = { input, from, result };
  return result;
}

let lastParse: { input: string; from: number; result: ParsedAddress | null } | undefined;

function parse(input: string, from: number): ParsedAddress | null {
  const text = toHalfWidth(input);
  const parts: AddressParts = {};
  let pos = from;
  let covered = 0;
  let numbered = false;
  let named = false;
  let bodyStart = -1;
  let lastEnd = from;
  let last: PartKind | null = null;
  for (;;) {
    const sep = LEADING_SEP.exec(text.slice(pos))?.[0].length ?? 0;
    const rest = text.slice(pos + sep);
    let hit: { kind: PartKind; length: number } | null = null;
    // Parts that start with a digit and parts that start with a name never overlap: try only those.
    for (const [kind, match] of /^(?:[0-9]|[A-Za-z]座)/.test(rest) ? DIGIT_PARTS : NAME_PARTS) {
      const length = match(rest);
      if (length) {
        hit = { kind, length };
        break;
      }
    }
    if (hit?.kind === "room" && !(last === "building" || last === "number" || (last === "road" && numbered))) hit = null;
    if (!hit) break;
    const value = rest.slice(0, hit.length);
    // Once the address has its number, a place name after it belongs to the address only when a
    // number follows it too ("…588号 万科城3幢"); "…201室 员工宿舍" is the next answer.
    if (numbered && (hit.kind === "road" || hit.kind === "community") && !/[0-9]/.test(value)) {
      const after = rest.slice(hit.length);
      if (!NUMBER_PARTS.some((match) => match(after) > 0)) break;
    }
    // Separators count only between parts; a part that starts after a clause break ends the address.
    if (pos > from && /[,，、]/.test(text.slice(pos, pos + sep)) && hit.kind !== "building" && hit.kind !== "number") break;
    pos += sep;
    if (hit.kind === "prefix" || hit.kind === "district") {
      if (hit.kind === "district") {
        if (parts.district || bodyStart >= 0) break;
        parts.district = districts.find((d) => d.name === value || d.short === value)?.name as string;
      }
    } else {
      if (bodyStart < 0) bodyStart = pos;
      if (hit.kind === "street") {
        if (parts.street) break;
        const town = findTown(value.replace(/(办事处|街道办)$/, ""));
        parts.street = town?.name ?? value;
        parts.townDistrict = town?.district;
        named = true;
      } else if (hit.kind === "community") {
        parts.community = (parts.community ?? "") + value;
        named = true;
      } else if (hit.kind === "road") {
        parts.road = (parts.road ?? "") + value;
        named = true;
        if (/[0-9]+(号|弄)/.test(value)) numbered = true;
      } else if (hit.kind === "number") {
        parts.road = (parts.road ?? "") + value;
        numbered = true;
      } else if (hit.kind === "building" || hit.kind === "room") {
        parts.building = (parts.building ?? "") + value;
        numbered = true;
      }
    }
    covered += hit.length;
    last = hit.kind;
    pos += hit.length;
    lastEnd = pos;
  }
  if (covered === 0) return null;
  const body = bodyStart < 0 ? "" : input.slice(bodyStart, lastEnd).replace(/\s+/g, " ").trim();
  const start = from + (LEADING_SEP.exec(text.slice(from))?.[0].length ?? 0);
  return { ...parts, start, end: lastEnd, text: body, bodyStart: bodyStart < 0 ? lastEnd : bodyStart, covered, numbered, named };
}

/** Words that introduce an address in a longer message (住 alone, but not in 入住, 居住, 住房, 住宿). */
const CUE =
  /(?:我住在|现住在|现住|住在|家住在|家住|住址是|住址[:：]?|地址是|地址[:：]|新地址是|新地址[:：]?|搬到了|搬到|(?<![入居])住(?![房宿址]))/gu;

/**
 * The address in a longer message, if any: one that starts at a district, a street or township,
 * "宁波", or a word like 住在/地址是. Only the first is returned (a second address is rare and
 * would be a correction, which the flows ask about).
 */
export function findAddress(input: string): ParsedAddress | null {
  const text = toHalfWidth(input);
  const starts = new Set<number>();
  for (const m of text.matchAll(CUE)) starts.add((m.index as number) + m[0].length);
  // Where an address may start without a cue: 宁波, a district, a street or township.
  const divisions: number[] = [];
  for (let at = 0; at < text.length; at++) {
    if (text.startsWith("宁波", at) || districtAt(text, at) || townAt(text, at)) divisions.push(at);
  }
  for (const at of divisions) starts.add(at);
  let best: ParsedAddress | null = null;
  for (const at of [...starts].sort((a, b) => a - b)) {
    if (best && at < best.end) continue;
    const read = parseAddressAt(input, at);
    if (!read || !(read.district || read.street || read.named)) continue;
    // An address begins with its largest division: words between a cue and the first district,
    // street or township of the same stretch are the sentence's, not the address's
    // ("入住，单位宿舍 古塘街道…": 单位宿舍 is the housing type).
    const first = divisions.find((d) => d >= read.start && d < read.end);
    const fromDivision = first !== undefined && first > read.start ? parseAddressAt(input, first) : null;
    const parsed = fromDivision?.named && fromDivision.numbered && fromDivision.end === read.end ? fromDivision : read;
    if (!best || parsed.covered > best.covered) best = parsed;
    if (best.named && best.numbered) break;
  }
  return best;
}
