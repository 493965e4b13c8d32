// @ts-check
// 群发通知 (admins): write, count the recipients, send, follow the progress, cancel what is left.
import { act } from "../lib/api.js";
import { cancelBroadcast, getBroadcast, listBroadcasts, sendBroadcast } from "../lib/client.js";
import { fmtTime, h, main, options, table, toast } from "../lib/dom.js";
import { labels } from "../lib/meta.js";

/** @type {import("../lib/view.js").Screen} */
export async function screenBroadcasts(view, _arg, params) {
  const text = h("textarea", { name: "text", placeholder: "通知内容（居民会在各自的渠道收到）", maxlength: 1000 });
  const channel = h("select", { name: "channel" }, options(labels.channels, "", "全部渠道"));
  const district = h("select", { name: "district" }, options(labels.districts, "", "全部区县"));
  const preview = h("p", { class: "muted" }, "");
  const progress = h("div", {});
  const recent = h("div", {});
  const audience = () => {
    /** @type {{ channel?: string, district?: string }} */
    const a = {};
    if (channel.value) a.channel = channel.value;
    if (district.value.trim()) a.district = district.value.trim();
    return a;
  };
  /** Shows one broadcast's progress, refreshed every 2 s. @param {string} id */
  const watch = (id) => {
    const bar = h("div", {});
    const line = h("p", {});
    const cancel = h(
      "button",
      {
        type: "button",
        class: "danger",
        onclick: (e) =>
          act(e.currentTarget, async () => {
            if (!confirm("取消尚未发出的消息？")) return;
            await cancelBroadcast(id);
            await load();
          }),
      },
      "取消发送",
    );
    progress.replaceChildren(
      h("div", { class: "panel" }, h("h2", {}, `群发进度（${id}）`), h("div", { class: "progress" }, bar), line, cancel),
    );
    const load = async () => {
      const p = await getBroadcast(id);
      const total = p.sent + p.failed + p.pending + p.cancelled;
      // CSSOM, not a style attribute: allowed by the page's CSP.
      bar.style.width = total ? `${Math.round((100 * (p.sent + p.failed)) / total)}%` : "0";
      line.textContent =
        `已发送 ${p.sent} · 失败 ${p.failed} · 待发送 ${p.pending} · 已取消 ${p.cancelled}` +
        (p.unknown ? ` · 不确定是否送达 ${p.unknown}` : "") +
        ` · 状态：${labels.broadcastStatuses[p.status] ?? p.status}`;
      cancel.hidden = !(p.pending > 0) || p.status === "cancelled";
    };
    load().catch((err) => toast(err.message, true));
    view.every(2000, load);
  };
  const previewButton = h(
    "button",
    {
      type: "button",
      class: "secondary",
      onclick: (e) =>
        act(e.currentTarget, async () => {
          const res = await sendBroadcast({ text: text.value.trim() || "（预览）", audience: audience(), dryRun: true });
          preview.textContent = `将发送给 ${res.recipients} 位居民（同意接收通知的）。`;
        }),
    },
    "预览人数",
  );
  const sendButton = h(
    "button",
    {
      type: "button",
      onclick: (e) =>
        act(e.currentTarget, async () => {
          const body = text.value.trim();
          if (!body) {
            toast("请先填写通知内容", true);
            return;
          }
          if (!confirm("确定发送这条群发通知吗？发出后只能取消尚未发出的部分。")) return;
          const res = await sendBroadcast({ text: body, audience: audience() });
          toast(`已开始发送，共 ${res.recipients} 位居民`);
          if (res.id) location.hash = `#/broadcasts?id=${encodeURIComponent(res.id)}`;
        }),
    },
    "发送",
  );
  main().replaceChildren(
    h("h1", {}, "群发通知"),
    h(
      "div",
      { class: "panel" },
      text,
      h(
        "div",
        { class: "filters" },
        h("label", {}, "渠道", channel),
        h("label", {}, "区县", district),
        previewButton,
        sendButton,
      ),
      preview,
      h("p", { class: "muted small" }, "按平台限速分批发送；夜间免打扰时段暂停，第二天继续。"),
    ),
    progress,
    h("h2", {}, "最近的群发"),
    recent,
  );
  const id = params.get("id");
  if (id) watch(id);
  const list = await listBroadcasts();
  if (view.stale()) return;
  recent.replaceChildren(
    list.items.length
      ? table(
          ["时间", "内容", "人数", "已发送", "失败", "状态"],
          list.items.map((b) =>
            h(
              "tr",
              {
                class: "clickable",
                onclick: () => {
                  location.hash = `#/broadcasts?id=${encodeURIComponent(b.id)}`;
                },
              },
              h("td", {}, fmtTime(b.createdAt)),
              h("td", { class: "small" }, b.text.length > 40 ? `${b.text.slice(0, 40)}…` : b.text),
              h("td", {}, b.recipients),
              h("td", {}, b.sent),
              h("td", {}, b.failed),
              h("td", {}, labels.broadcastStatuses[b.status] ?? b.status),
            ),
          ),
        )
      : h("p", { class: "muted" }, "还没有群发过。"),
  );
}
