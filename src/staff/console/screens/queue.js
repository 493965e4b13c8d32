// @ts-check
// 人工队列: residents waiting for a person (oldest first) and conversations with staff.
import { act } from "../lib/api.js";
import { claimConversation, listConversations } from "../lib/client.js";
import { fmtTime, fmtWait, h, main, table } from "../lib/dom.js";
import { setQueueCount } from "../lib/layout.js";
import { labels } from "../lib/meta.js";

export const POLL_MS = 3000;

/**
 * @param {import("../types.d.ts").QueueItem[]} items
 * @param {"escalated" | "staff"} kind
 */
function queueTable(items, kind) {
  if (!items.length) return h("p", { class: "muted" }, kind === "escalated" ? "目前没有人在排队。" : "没有正在处理的会话。");
  return table(
    ["居民", "渠道", "原因", "等待", "最新消息", "接待人", ""],
    items.map((c) => {
      const open = () => {
        location.hash = `#/conversation/${c.id}`;
      };
      const claim = h(
        "button",
        {
          type: "button",
          onclick: (e) => {
            e.stopPropagation();
            act(e.currentTarget, async () => {
              await claimConversation(c.id);
              open();
            });
          },
        },
        "接入",
      );
      return h(
        "tr",
        { class: "clickable", onclick: open, dataset: { conversation: c.id } },
        h("td", {}, c.displayName || c.userId),
        h("td", {}, labels.channels[c.channel] ?? c.channel),
        h("td", {}, c.escalationReasonLabel || "—"),
        h("td", {}, fmtWait(c.waitingMs)),
        h("td", { class: "small" }, c.preview || ""),
        h("td", {}, c.claimedByName || "—"),
        h("td", {}, kind === "escalated" ? claim : h("button", { type: "button", class: "secondary" }, "打开")),
      );
    }),
  );
}

/** @type {import("../lib/view.js").Screen} */
export async function screenQueue(view) {
  const waiting = h("div", {});
  const withStaff = h("div", {});
  const updated = h("p", { class: "muted small" });
  main().replaceChildren(
    h("h1", {}, "人工队列"),
    h("p", { class: "muted small" }, "最早排队的在最上面。点“接入”开始服务，列表每 3 秒自动刷新。"),
    h("h2", {}, "排队中"),
    waiting,
    h("h2", {}, "人工服务中"),
    withStaff,
    updated,
  );
  const load = async () => {
    const [queued, staff] = await Promise.all([listConversations("escalated"), listConversations("staff")]);
    if (view.stale()) return;
    setQueueCount(queued.items.length);
    waiting.replaceChildren(queueTable(queued.items, "escalated"));
    withStaff.replaceChildren(queueTable(staff.items, "staff"));
    updated.textContent = `更新于 ${fmtTime(Date.now())}`;
  };
  await load();
  view.every(POLL_MS, load);
}
