// @ts-check
// 删除请求 (admins): residents who said 删除我的信息, oldest first; the done ones latest first with
// when and by whom; and carrying one out after a
// confirmation that says in plain words what is erased and what is kept. The resident is shown
// by channel and a masked reference only: staff need nothing more to act on a request.
import { act } from "../lib/api.js";
import { completeDeletionRequest, listDeletionRequests } from "../lib/client.js";
import { fmtTime, h, main, table, toast } from "../lib/dom.js";
import { labels } from "../lib/meta.js";
import { go } from "../lib/view.js";

/** @typedef {import("../types.d.ts").DeletionRequest} DeletionRequest */

/**
 * The resident's user id on their channel, masked (`web-3f2a9c` → `web…9c`): enough to tell two
 * requests apart, not to look the resident up elsewhere.
 * @param {string} userId
 */
export function residentRef(userId) {
  if (userId.length <= 4) return `${userId.slice(0, 1)}***`;
  return `${userId.slice(0, 3)}…${userId.slice(-2)}`;
}

/** @param {number} n @param {string} retention */
const kept = (n, retention) => (n ? `${n} 份（审核完成${retention}后删除）` : "无");

/**
 * What the confirmation says, in plain words: what goes, what stays and for how long, who is told.
 * @param {DeletionRequest} r
 * @param {string} retention
 */
function confirmation(r, retention) {
  return [
    `确认删除这位居民的个人信息吗？（${labels.channels[r.channel] ?? r.channel}，${residentRef(r.userId)}）`,
    "",
    "会删除：聊天记录和工作人员备注、对回答的评价、居住证提醒登记（和提醒）、还没发出的消息；昵称和所在区清空，以后不再给这位居民发提醒和通知。",
    r.applications
      ? `会保留：已提交的 ${r.applications} 份申请，法律要求保存，审核完成${retention}后自动删除。`
      : "会保留：无（这位居民没有提交过申请）。",
    "居民会收到一条消息，说明删了什么、保留了什么。删除后无法恢复。",
  ].join("\n");
}

/** @type {import("../lib/view.js").Screen} */
export async function screenDeletions(view, _arg, params) {
  const status = params.get("status") === "done" ? "done" : "pending";
  const res = await listDeletionRequests(status);
  if (view.stale()) return;
  const retention = res.applicationRetention;

  const tabs = h(
    "p",
    { class: "tabs" },
    h("a", { href: "#/deletions", class: status === "pending" ? "tab current" : "tab" }, "待处理"),
    h("a", { href: "#/deletions?status=done", class: status === "done" ? "tab current" : "tab" }, "已处理"),
  );

  /** @param {DeletionRequest} r */
  const row = (r) =>
    h(
      "tr",
      { dataset: { request: r.id } },
      h("td", {}, fmtTime(r.createdAt)),
      h("td", {}, labels.channels[r.channel] ?? r.channel),
      h("td", {}, residentRef(r.userId)),
      h("td", {}, kept(r.applications, retention)),
      h(
        "td",
        {},
        h(
          "button",
          {
            type: "button",
            onclick: (e) =>
              act(e.currentTarget, async () => {
                if (!confirm(confirmation(r, retention))) return;
                const done = await completeDeletionRequest(r.id);
                toast(
                  done.applicationsKept
                    ? `已删除，居民会收到通知；${done.applicationsKept} 份申请保留至期满。`
                    : "已删除，居民会收到通知。",
                );
                go(location.hash);
              }),
          },
          "执行删除",
        ),
      ),
    );

  /** @param {DeletionRequest} r */
  const doneRow = (r) =>
    h(
      "tr",
      { dataset: { request: r.id } },
      h("td", {}, fmtTime(r.doneAt)),
      h("td", {}, r.doneBy ?? "—"),
      h("td", {}, fmtTime(r.createdAt)),
      h("td", {}, labels.channels[r.channel] ?? r.channel),
      h("td", {}, residentRef(r.userId)),
      h("td", {}, kept(r.applications, retention)),
    );

  main().replaceChildren(
    h("h1", {}, "删除个人信息请求"),
    h(
      "p",
      { class: "muted small" },
      `居民说“删除我的信息”后，请求会出现在这里，按提出时间排列。执行删除会清除这位居民的聊天记录、评价、提醒登记和未发出的消息；已提交的申请依法保留，审核完成${retention}后自动删除。每次删除都记入操作日志。`,
    ),
    tabs,
    res.items.length
      ? status === "pending"
        ? table(["提出时间", "渠道", "居民", "保留的申请", ""], res.items.map(row), { "aria-label": "待处理的删除请求" })
        : table(["删除时间", "执行人", "提出时间", "渠道", "居民", "保留的申请"], res.items.map(doneRow), {
            "aria-label": "已处理的删除请求",
          })
      : h("p", { class: "muted" }, status === "pending" ? "没有待处理的删除请求。" : "还没有处理过的删除请求。"),
  );
}
