// @ts-check
// One conversation: transcript (live), reply, internal notes, the resident's applications; claim,
// take over from a colleague or hand back to the assistant (a colleague's needs a reason: audited).
import { act, ApiError, can, me } from "../lib/api.js";
import { addNote, claimConversation, getConversation, replyTo, resolveConversation } from "../lib/client.js";
import { fmtTime, fmtWait, h, main, statusTag, toast } from "../lib/dom.js";
import { labels } from "../lib/meta.js";
import { revealable, revealableId } from "../lib/reveal.js";
import { POLL_MS } from "./queue.js";

/** @typedef {import("../types.d.ts").ConversationDetail} ConversationDetail */

const REASON_MAX = 500;

/**
 * An inline form asking why a colleague's conversation is taken over or handed back; the reason
 * goes into the audit log. Resolves with the reason, or null when cancelled.
 * @param {HTMLElement} slot where the form is shown
 * @param {string} question
 * @param {string} confirmLabel
 * @returns {Promise<string | null>}
 */
function askReason(slot, question, confirmLabel) {
  return new Promise((resolve) => {
    const reason = h("textarea", {
      name: "takeoverReason",
      "aria-label": "原因",
      placeholder: "例如：同事已下班，居民在等回复",
      maxlength: REASON_MAX,
      required: true,
    });
    const error = h("p", { class: "error small", role: "alert" });
    const done = (/** @type {string | null} */ value) => {
      slot.replaceChildren();
      resolve(value);
    };
    slot.replaceChildren(
      h(
        "form",
        {
          class: "panel reason",
          // Our own message for an empty reason (the browser's bubble would say less, in its own words).
          novalidate: true,
          onsubmit: (e) => {
            e.preventDefault();
            const text = reason.value.trim();
            if (!text) {
              error.textContent = "请填写原因：会记入操作日志，同事也能看到。";
              reason.focus();
              return;
            }
            done(text);
          },
        },
        h("label", { class: "block" }, question, reason),
        error,
        h(
          "div",
          { class: "actions" },
          h("button", { type: "submit" }, confirmLabel),
          h("button", { type: "button", class: "secondary", onclick: () => done(null) }, "取消"),
        ),
      ),
    );
    reason.focus();
  });
}

/** @type {import("../lib/view.js").Screen} */
export async function screenConversation(view, id) {
  if (!id) throw new ApiError(404, "not_found", "没有这个会话。");
  const header = h("div", {});
  const reasonSlot = h("div", {});
  const transcript = h("div", { class: "transcript", role: "log", "aria-label": "聊天记录" });
  const notes = h("div", {});
  const apps = h("div", {});
  const replyBox = h("textarea", { name: "reply", placeholder: "输入回复，发送后居民会在原渠道收到", maxlength: 2000 });
  const noteBox = h("textarea", { name: "note", placeholder: "内部备注，居民看不到", maxlength: 2000 });
  let lastCount = -1;

  const send = h("button", { type: "submit" }, "发送回复");
  const replyForm = h(
    "form",
    {
      onsubmit: (e) => {
        e.preventDefault();
        const text = replyBox.value.trim();
        if (!text) return;
        act(send, async () => {
          await replyTo(id, text);
          replyBox.value = "";
          toast("已发送");
          await load();
        });
      },
    },
    replyBox,
    h("div", { class: "actions" }, send),
  );
  const saveNote = h("button", { type: "submit", class: "secondary" }, "添加备注");
  const noteForm = h(
    "form",
    {
      onsubmit: (e) => {
        e.preventDefault();
        const text = noteBox.value.trim();
        if (!text) return;
        act(saveNote, async () => {
          await addNote(id, text);
          noteBox.value = "";
          await load();
        });
      },
    },
    noteBox,
    h("div", { class: "actions" }, saveNote),
  );

  main().replaceChildren(
    h("p", {}, h("a", { href: "#/queue" }, "← 返回队列")),
    header,
    reasonSlot,
    h(
      "div",
      { class: "row" },
      h("div", { class: "grow" }, transcript, h("div", { class: "panel" }, h("h2", {}, "回复居民"), replyForm)),
      h(
        "div",
        { class: "side" },
        h("div", { class: "panel" }, h("h2", {}, "居民的申请"), apps),
        h("div", { class: "panel" }, h("h2", {}, "内部备注"), notes, noteForm),
      ),
    ),
  );

  /**
   * Runs a claim or a resolve; a colleague's conversation asks for the reason first, and so does
   * a 409 reason_required (a colleague claimed it meanwhile).
   * @param {HTMLButtonElement} button
   * @param {boolean} colleagues
   * @param {(reason?: string) => Promise<unknown>} run
   * @param {{ question: string, confirm: string, done: string, plainConfirm?: string }} text
   */
  const withReason = (button, colleagues, run, text) =>
    act(button, async () => {
      let reason;
      if (colleagues) {
        reason = await askReason(reasonSlot, text.question, text.confirm);
        if (reason === null) return;
      } else if (text.plainConfirm && !confirm(text.plainConfirm)) return;
      try {
        await run(reason);
      } catch (err) {
        if (!(err instanceof ApiError && err.code === "reason_required") || reason) throw err;
        toast(err.message, true);
        reason = await askReason(reasonSlot, text.question, text.confirm);
        if (reason === null) return;
        await run(reason);
      }
      toast(text.done);
      await load();
    });

  /** @param {ConversationDetail} c */
  const actions = (c) => {
    const colleagues = c.status === "staff" && c.claimedBy !== null && c.claimedBy !== me().id;
    const buttons = [];
    if (c.status === "escalated" || colleagues) {
      buttons.push(
        h(
          "button",
          {
            type: "button",
            onclick: (e) =>
              withReason(e.currentTarget, colleagues, (reason) => claimConversation(id, reason), {
                question: `${c.claimedByName ?? "同事"}正在接待。为什么改由您接待？`,
                confirm: "确认改由我接待",
                done: "已接入",
              }),
          },
          colleagues ? "改由我接待" : "接入",
        ),
      );
    }
    if (c.status === "escalated" || c.status === "staff") {
      buttons.push(
        h(
          "button",
          {
            type: "button",
            class: "warn",
            onclick: (e) =>
              withReason(e.currentTarget, colleagues, (reason) => resolveConversation(id, reason), {
                question: `${c.claimedByName ?? "同事"}正在接待。为什么结束人工服务？`,
                confirm: "确认结束人工",
                done: "已结束人工服务",
                plainConfirm: "结束人工服务，交还给助手？居民会收到提示。",
              }),
          },
          "结束人工，交还助手",
        ),
      );
    }
    return buttons;
  };

  const load = async () => {
    const c = await getConversation(id);
    if (view.stale()) return;
    header.replaceChildren(
      h("h1", {}, `会话：${c.displayName || c.userId}`),
      h(
        "p",
        {},
        statusTag(c.status, labels.conversationStatuses),
        ` 渠道：${labels.channels[c.channel] ?? c.channel}`,
        c.escalationReasonLabel ? ` · 原因：${c.escalationReasonLabel}` : "",
        c.waitingMs !== null && c.status === "escalated" ? ` · 已等待 ${fmtWait(c.waitingMs)}` : "",
        c.claimedByName ? ` · 接待人：${c.claimedByName}` : "",
        c.district ? ` · 区县：${c.district}` : "",
      ),
      h("div", { class: "actions" }, actions(c)),
    );
    replyBox.disabled = !(c.status === "escalated" || c.status === "staff");
    send.disabled = replyBox.disabled;
    if (replyBox.disabled) replyBox.placeholder = "会话不在人工服务中（居民可以说“转人工”重新排队）";

    if (c.messages.length !== lastCount) {
      const atBottom = transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 40;
      transcript.replaceChildren(
        ...c.messages.map((m) =>
          h(
            "div",
            { class: `msg ${m.author}` },
            h(
              "span",
              { class: "meta" },
              `${m.author === "staff" && m.staffName ? `工作人员 ${m.staffName}` : (labels.authors[m.author] ?? m.author)} · ${fmtTime(m.createdAt)}`,
            ),
            m.text,
          ),
        ),
      );
      if (atBottom || lastCount === -1) transcript.scrollTop = transcript.scrollHeight;
      lastCount = c.messages.length;
    }
    notes.replaceChildren(
      ...(c.notes.length
        ? c.notes.map((n) =>
            h(
              "div",
              { class: "note" },
              h("span", { class: "muted small" }, `${n.staffName || ""} · ${fmtTime(n.createdAt)}`),
              h("br"),
              n.text,
            ),
          )
        : [h("p", { class: "muted small" }, "还没有备注。")]),
    );
    apps.replaceChildren(
      ...(c.applications.length
        ? c.applications.map((a) =>
            h(
              "div",
              { class: "panel" },
              h("strong", {}, `${a.typeLabel} `),
              statusTag(a.status, labels.applicationStatuses),
              h(
                "dl",
                { class: "fields small" },
                h("dt", {}, "编号"),
                h("dd", {}, can("reviewer") ? h("a", { href: `#/application/${a.id}` }, a.reference) : a.reference),
                h("dt", {}, "姓名"),
                h("dd", {}, a.name || "—"),
                h("dt", {}, "身份证号"),
                h("dd", {}, revealableId(a.id, a.idNumberMasked)),
                h("dt", {}, "电话"),
                h("dd", {}, revealable(a.id, a.phoneMasked, "phone")),
                h("dt", {}, "提交时间"),
                h("dd", {}, fmtTime(a.createdAt)),
              ),
            ),
          )
        : [h("p", { class: "muted small" }, "没有申请。")]),
    );
  };
  await load();
  view.every(POLL_MS, load);
}
