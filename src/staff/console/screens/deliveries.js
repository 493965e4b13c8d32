// @ts-check
// 发送异常: proactive messages that need a look (failed, or unknown: a WeChat send interrupted),
// sent again after checking with the resident.
import { act } from "../lib/api.js";
import { listDeliveries, resendDelivery } from "../lib/client.js";
import { fmtTime, h, main, table, toast } from "../lib/dom.js";
import { labels } from "../lib/meta.js";
import { go } from "../lib/view.js";

/** @type {Record<string, string>} */
const STATUS = { failed: "发送失败", unknown: "不确定是否送达" };

/** @type {import("../lib/view.js").Screen} */
export async function screenDeliveries(view) {
  const res = await listDeliveries();
  if (view.stale()) return;
  main().replaceChildren(
    h("h1", {}, "发送异常"),
    h("p", { class: "muted small" }, "提醒、回复、审核通知和群发中没有送达的消息。确认居民确实没收到后再重发。"),
    res.items.length
      ? table(
          ["时间", "渠道", "状态", "内容", "尝试次数", "错误", ""],
          res.items.map((d) =>
            h(
              "tr",
              {},
              h("td", {}, fmtTime(d.updatedAt)),
              h("td", {}, labels.channels[d.channel] ?? d.channel),
              h("td", {}, STATUS[d.status] ?? d.status),
              h("td", { class: "small" }, d.text.length > 60 ? `${d.text.slice(0, 60)}…` : d.text),
              h("td", {}, d.attempts),
              h("td", { class: "small" }, d.lastError ?? ""),
              h(
                "td",
                {},
                h(
                  "button",
                  {
                    type: "button",
                    class: "secondary",
                    onclick: (e) =>
                      act(e.currentTarget, async () => {
                        if (!confirm("确认居民没有收到这条消息，再发一次？")) return;
                        await resendDelivery(d.id);
                        toast("已重新排队发送");
                        go(location.hash);
                      }),
                  },
                  "重发",
                ),
              ),
            ),
          ),
        )
      : h("p", { class: "muted" }, "没有发送异常的消息。"),
  );
}
