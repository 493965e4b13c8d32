// @ts-check
// 数据看板: today's counts (GET /stats), refreshed every 30 s.
import { getStats } from "../lib/client.js";
import { fmtTime, fmtWait, h, main, table } from "../lib/dom.js";

/**
 * @param {string | number} value
 * @param {string} label
 */
const card = (value, label) =>
  h("div", { class: "card" }, h("div", { class: "value" }, value), h("div", { class: "label" }, label));

/** @type {import("../lib/view.js").Screen} */
export async function screenDashboard(view) {
  const today = h("div", {});
  main().replaceChildren(h("h1", {}, "数据看板"), today);
  const load = async () => {
    const s = await getStats();
    if (view.stale()) return;
    today.replaceChildren(
      h(
        "div",
        { class: "cards" },
        card(s.conversationsToday, "今日会话"),
        card(s.faqShareToday === null ? "—" : `${Math.round(s.faqShareToday * 100)}%`, "今日由知识库解答的比例"),
        card(s.escalationsWaiting, "排队等人工"),
        card(fmtWait(s.medianWaitMs), "排队等待时间（中位数）"),
        card(s.withStaff, "人工服务中"),
        card(s.applicationsPending, "待审核申请"),
        card(s.applicationsInfoRequested, "待居民补充材料"),
        card(s.remindersSentThisMonth, "本月已发签注提醒"),
        card(s.remindersFailedThisMonth, "本月发送失败的提醒"),
      ),
      h("p", { class: "muted small" }, s.officeOpen ? "现在是工作时间。" : "现在是非工作时间，转人工的居民会在上班后得到回复。"),
      h("h2", {}, "本月居住登记（按区县）"),
      s.registrationsThisMonthByDistrict.length
        ? table(
            ["区县", "登记数"],
            s.registrationsThisMonthByDistrict.map((r) => h("tr", {}, h("td", {}, r.district || "未填写"), h("td", {}, r.count))),
          )
        : h("p", { class: "muted" }, "本月还没有居住登记。"),
      h("p", { class: "muted small" }, `更新于 ${fmtTime(s.generatedAt)}`),
    );
  };
  await load();
  view.every(30000, load);
}
