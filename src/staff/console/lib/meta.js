// @ts-check
// Every label and list the screens show (application types and their fields, statuses, roles,
// channels, districts…) comes from GET /api/v1/staff/meta, loaded once after sign-in: a new flow
// file in intents/ (or a new role) shows up here without a change to the console.
import { getMeta } from "./client.js";
import { useTimeZone } from "./dom.js";

/** @typedef {import("../types.d.ts").StaffMeta} StaffMeta */

/** code → label, per list. */
export const labels = {
  /** @type {Record<string, string>} */ roles: {},
  /** @type {Record<string, string>} */ conversationStatuses: {},
  /** @type {Record<string, string>} */ applicationTypes: {},
  /** @type {Record<string, string>} */ applicationStatuses: {},
  /** @type {Record<string, string>} */ channels: {},
  /** @type {Record<string, string>} */ districts: {},
  /** @type {Record<string, string>} */ broadcastStatuses: {},
  /** @type {Record<string, string>} */ authors: {},
  /** @type {Record<string, string>} */ auditActions: {},
  /** @type {Record<string, string>} */ decisions: {},
  /** kinds of an entry's staff-maintained specifics @type {Record<string, string>} */ configurableKinds: {},
  /** parts of a catalogue entry, in answer order @type {Record<string, string>} */ partKeys: {},
  /** how an unanswered question was handled @type {Record<string, string>} */ unansweredHandlings: {},
  /** application type → data key → label @type {Record<string, Record<string, string>>} */
  fields: {},
};

/** @type {StaffMeta | null} */
let loaded = null;

/** @param {{ code: string, label: string }[]} list */
const byCode = (list) => Object.fromEntries(list.map((x) => [x.code, x.label]));

/** Loads /meta once per page load. */
export async function loadMeta() {
  if (loaded) return loaded;
  const meta = await getMeta();
  labels.roles = byCode(meta.roles);
  labels.conversationStatuses = byCode(meta.conversationStatuses);
  labels.applicationStatuses = byCode(meta.applicationStatuses);
  labels.channels = byCode(meta.channels);
  labels.broadcastStatuses = byCode(meta.broadcastStatuses);
  labels.authors = byCode(meta.authors);
  labels.auditActions = byCode(meta.auditActions);
  labels.decisions = byCode(meta.decisions);
  labels.configurableKinds = byCode(meta.configurableKinds);
  labels.partKeys = byCode(meta.partKeys);
  labels.unansweredHandlings = byCode(meta.unansweredHandlings);
  labels.applicationTypes = Object.fromEntries(meta.applicationTypes.map((t) => [t.type, t.label]));
  labels.fields = Object.fromEntries(
    meta.applicationTypes.map((t) => [t.type, Object.fromEntries(t.fields.map((f) => [f.key, f.label]))]),
  );
  labels.districts = Object.fromEntries(meta.districts.map((d) => [d.name, d.name]));
  useTimeZone(meta.timeZone);
  loaded = meta;
  return meta;
}

/** The loaded metadata (screens run after loadMeta()). */
export function meta() {
  if (!loaded) throw new Error("loadMeta() first");
  return loaded;
}
