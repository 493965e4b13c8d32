// @ts-check
// Building the page: every string from the server is inserted as text, never parsed as HTML.
// No inline style attributes either (the page's CSP forbids them): classes from console.css.

/**
 * Event handler attributes (`onclick`, `oninput`…), typed by event and element.
 * @template {keyof HTMLElementTagNameMap} K
 * @typedef {{ [E in keyof HTMLElementEventMap as `on${E}`]?: (event: HTMLElementEventMap[E] & { currentTarget: HTMLElementTagNameMap[K] }) => unknown }} Handlers
 */
/**
 * Attributes: handlers, `class`, `dataset`, and any other attribute (false/null/undefined: left out, true: present).
 * @template {keyof HTMLElementTagNameMap} K
 * @typedef {Handlers<K> & { class?: string, dataset?: Record<string, string> } & { [name: string]: unknown }} Attrs
 */
/** @typedef {Node | string | number | boolean | null | undefined | Child[]} Child */

/**
 * Builds an element; strings and numbers become text nodes.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs<K> | null} [attrs]
 * @param {Child[]} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function")
      el.addEventListener(key.slice(2), /** @type {EventListener} */ (value));
    else if (key === "class") el.className = String(value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

/**
 * @param {Element} el
 * @param {Child[]} children
 */
function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false || child === true) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/**
 * An element of the page shell (index.html).
 * @param {string} id
 * @returns {HTMLElement}
 */
export function $(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el;
}

/** The main area every screen renders into. */
export const main = () => $("app");

/**
 * A table from its column headings and rows.
 * @param {Child[]} headings
 * @param {HTMLTableRowElement[]} rows
 * @param {Attrs<"table">} [attrs]
 */
export function table(headings, rows, attrs) {
  return h(
    "table",
    attrs ?? {},
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        headings.map((x) => h("th", {}, x)),
      ),
    ),
    h("tbody", {}, rows),
  );
}

/**
 * Minutes in a time zone as "2026-11-30 19:32" parts; the browser's zone when none is given.
 * (The server's src/lib/local-time.ts does the same for its clock; the console cannot import it.)
 * @param {string | undefined} timeZone
 */
const minuteClock = (timeZone) =>
  new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  });

/**
 * Times are shown in the service's time zone (TZ, from /meta), the one residents' dates and
 * reference numbers are in, wherever the browser is; in the browser's own until /meta is loaded.
 */
let clock = minuteClock(undefined);

/** @param {string} timeZone */
export function useTimeZone(timeZone) {
  clock = minuteClock(timeZone);
}

/**
 * Date and time to the minute, in the service's time zone.
 * @param {number | null | undefined} ms
 */
export function fmtTime(ms) {
  if (!ms) return "—";
  /** @type {Record<string, string>} */
  const p = {};
  for (const part of clock.formatToParts(ms)) p[part.type] = part.value;
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/**
 * A waiting time in words.
 * @param {number | null | undefined} ms
 */
export function fmtWait(ms) {
  if (ms === null || ms === undefined) return "—";
  const minutes = Math.floor(ms / 60000);
  if (minutes < 1) return "不到 1 分钟";
  if (minutes < 60) return `${minutes} 分钟`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} 小时 ${minutes % 60} 分`;
  return `${Math.floor(hours / 24)} 天 ${hours % 24} 小时`;
}

/**
 * A status as a coloured tag, labelled from /meta.
 * @param {string} code
 * @param {Record<string, string>} labels
 */
export function statusTag(code, labels) {
  return h("span", { class: `status ${code}` }, labels[code] ?? code);
}

/**
 * `<option>`s for a select: a blank one ("all") first.
 * @param {Record<string, string>} labels code → label
 * @param {string | null | undefined} selected
 * @param {string} blank
 */
export function options(labels, selected, blank) {
  return [
    h("option", { value: "" }, blank),
    ...Object.entries(labels).map(([value, label]) => h("option", { value, selected: value === selected }, label)),
  ];
}

/** @type {ReturnType<typeof setTimeout> | undefined} */
let toastTimer;
/**
 * A short message at the bottom of the page.
 * @param {string} text
 * @param {boolean} [isError]
 */
export function toast(text, isError = false) {
  const el = $("toast");
  el.textContent = text;
  el.className = isError ? "error" : "";
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    el.hidden = true;
  }, 3500);
}
