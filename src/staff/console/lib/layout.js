// @ts-check
// The bar at the top: the menu for the signed-in user's role, who is signed in, the queue badge.
import { can, me } from "./api.js";
import { $, h } from "./dom.js";
import { labels } from "./meta.js";

/** @typedef {{ href: string, label: string, roles: import("../types.d.ts").StaffRole[] }} NavItem */

/** @type {NavItem[]} */
let items = [];
let queueCount = 0;

/** @param {NavItem[]} nav the menu, in order (main.js) */
export function setNav(nav) {
  items = nav;
}

/** Shows the number of residents waiting next to 人工队列. @param {number} n */
export function setQueueCount(n) {
  if (n === queueCount) return;
  queueCount = n;
  layout();
}

/** Draws the top bar for the current hash. */
export function layout() {
  const user = me();
  $("top").hidden = false;
  $("who").textContent = `${user.username}（${labels.roles[user.role] ?? user.role}）`;
  const current = `#/${(location.hash.split("/")[1] ?? "").split("?")[0]}`;
  $("nav").replaceChildren(
    ...items
      .filter((item) => can(...item.roles))
      .map((item) =>
        h(
          "a",
          { href: item.href, class: current === item.href ? "active" : "" },
          item.label,
          item.href === "#/queue" && queueCount ? h("span", { class: "badge", "aria-label": "排队人数" }, queueCount) : null,
        ),
      ),
  );
}
