// 甬居助手 staff console. Plain browser JavaScript, no build step, no third-party code.
// Signs in with an httpOnly cookie (POST /api/v1/staff/session); every change sends the CSRF
// token in the x-csrf-token header. All text from the server is inserted as text, never HTML.
(() => {
  const API = "/api/v1/staff";
  const POLL_MS = 3000;
  const state = { user: null, csrf: null, timers: [], queueCount: 0, gen: 0, meta: null };

  // Every label and list the screens show (application types and their fields, statuses,
  // roles, channels, districts…) comes from GET /api/v1/staff/meta, loaded once after sign-in:
  // a new flow file in intents/ shows up here without a change to this script.
  let ROLE_LABELS = {};
  let CONV_STATUS = {};
  let APP_TYPES = {};
  let APP_STATUS = {};
  let CHANNELS = {};
  let DISTRICTS = {};
  let BROADCAST_STATUS = {};
  let AUTHORS = {};
  let AUDIT_ACTIONS = {};
  let DECISIONS = {};
  /** application type → data key → label */
  let FIELD_LABELS = {};

  async function loadMeta() {
    if (state.meta) return;
    const meta = await api("GET", "/meta");
    const byCode = (list) => Object.fromEntries(list.map((x) => [x.code, x.label]));
    ROLE_LABELS = byCode(meta.roles);
    CONV_STATUS = byCode(meta.conversationStatuses);
    APP_STATUS = byCode(meta.applicationStatuses);
    CHANNELS = byCode(meta.channels);
    BROADCAST_STATUS = byCode(meta.broadcastStatuses);
    AUTHORS = byCode(meta.authors);
    AUDIT_ACTIONS = byCode(meta.auditActions);
    DECISIONS = byCode(meta.decisions);
    APP_TYPES = Object.fromEntries(meta.applicationTypes.map((t) => [t.type, t.label]));
    FIELD_LABELS = Object.fromEntries(
      meta.applicationTypes.map((t) => [t.type, Object.fromEntries(t.fields.map((f) => [f.key, f.label]))]),
    );
    DISTRICTS = Object.fromEntries(meta.districts.map((d) => [d.name, d.name]));
    state.meta = meta;
  }

  // ------------------------------------------------------------------ helpers

  /** Builds an element; strings and numbers become text nodes (never parsed as HTML). */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
      else if (key === "class") el.className = value;
      else if (key === "dataset") Object.assign(el.dataset, value);
      else if (value === true) el.setAttribute(key, "");
      else el.setAttribute(key, String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === undefined || child === null || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  const $ = (id) => document.getElementById(id);
  const app = () => $("app");

  function pad(n) {
    return String(n).padStart(2, "0");
  }
  function fmtTime(ms) {
    if (!ms) return "—";
    const d = new Date(ms);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }
  function fmtWait(ms) {
    if (ms === null || ms === undefined) return "—";
    const minutes = Math.floor(ms / 60000);
    if (minutes < 1) return "不到 1 分钟";
    if (minutes < 60) return `${minutes} 分钟`;
    const hours = Math.floor(minutes / 60);
    if (hours < 24) return `${hours} 小时 ${minutes % 60} 分`;
    return `${Math.floor(hours / 24)} 天 ${hours % 24} 小时`;
  }
  function statusTag(code, labels) {
    return h("span", { class: `status ${code}` }, labels[code] || code);
  }

  let toastTimer = null;
  function toast(text, isError) {
    const el = $("toast");
    el.textContent = text;
    el.className = isError ? "error" : "";
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => {
      el.hidden = true;
    }, 3500);
  }

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  /** Calls the staff API with the session cookie; a 401 sends the user back to the login form. */
  async function api(method, path, body) {
    const headers = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (method !== "GET" && state.csrf) headers["x-csrf-token"] = state.csrf;
    let res;
    try {
      res = await fetch(API + path, {
        method,
        headers,
        credentials: "same-origin",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, "network", "网络连接失败，请检查网络后重试。");
    }
    const data = await res.json().catch(() => ({}));
    if (!res.ok) {
      const err = new ApiError(res.status, data?.error?.code || "error", data?.error?.message || `请求失败（${res.status}）`);
      if (res.status === 401 && path !== "/session" && path !== "/me") {
        state.user = null;
        state.csrf = null;
        showLogin("登录已失效，请重新登录。");
      }
      throw err;
    }
    return data;
  }

  /** Runs an action from a button: disables it meanwhile and reports errors. */
  async function act(button, fn) {
    if (button) button.disabled = true;
    try {
      await fn();
    } catch (err) {
      if (err.status !== 401) toast(err.message || "操作失败", true);
    } finally {
      if (button) button.disabled = false;
    }
  }

  /** Polls while the screen that started it (generation `gen`) is still shown. */
  function every(ms, fn, gen) {
    if (gen !== state.gen) return;
    const id = setInterval(() => {
      if (!document.hidden && gen === state.gen) fn();
    }, ms);
    state.timers.push(id);
  }
  /** True when the user has moved on to another screen meanwhile. */
  const stale = (gen) => gen !== state.gen;

  /** Shows a screen: a hash change renders it (once). */
  function go(hash) {
    if (location.hash === hash) render();
    else location.hash = hash;
  }
  function stopTimers() {
    for (const id of state.timers) clearInterval(id);
    state.timers = [];
  }

  const can = (...roles) => state.user && (state.user.role === "admin" || roles.includes(state.user.role));

  // ------------------------------------------------------------------ login and layout

  function showLogin(message) {
    stopTimers();
    state.gen++;
    $("top").hidden = true;
    const error = h("p", { class: "error", role: "alert" }, message || "");
    const username = h("input", { name: "username", autocomplete: "username", required: true, autofocus: true });
    const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
    const submit = h("button", { type: "submit" }, "登录");
    const form = h(
      "form",
      {
        onsubmit: (e) => {
          e.preventDefault();
          act(submit, async () => {
            error.textContent = "";
            try {
              const res = await api("POST", "/session", { username: username.value, password: password.value });
              state.user = res.user;
              state.csrf = res.csrfToken;
              go(!location.hash || location.hash === "#/login" ? home() : location.hash);
            } catch (err) {
              error.textContent = err.message;
            }
          });
        },
      },
      h("label", {}, "用户名", username),
      h("label", {}, "密码", password),
      submit,
      error,
    );
    app().replaceChildren(h("div", { class: "login panel" }, h("h1", {}, "工作人员登录"), form));
    username.focus();
  }

  function home() {
    if (!state.user) return "#/login";
    if (state.user.role === "reviewer") return "#/applications";
    return "#/queue";
  }

  const NAV = [
    ["#/queue", "人工队列", ["agent"]],
    ["#/applications", "申请审核", ["reviewer"]],
    ["#/dashboard", "数据看板", ["agent", "reviewer"]],
    ["#/unanswered", "未答问题", ["agent", "reviewer"]],
    ["#/feedback", "答案反馈", ["agent", "reviewer"]],
    ["#/broadcasts", "群发通知", []],
    ["#/audit", "操作日志", []],
    ["#/users", "账号管理", []],
    ["#/channels", "渠道状态", []],
    ["#/password", "修改密码", ["agent", "reviewer"]],
  ];

  function layout() {
    $("top").hidden = false;
    $("who").textContent = `${state.user.username}（${ROLE_LABELS[state.user.role] || state.user.role}）`;
    const current = `#/${(location.hash.split("/")[1] || "").split("?")[0]}`;
    $("nav").replaceChildren(
      ...NAV.filter(([, , roles]) => can(...roles)).map(([href, label]) =>
        h(
          "a",
          { href, class: current === href ? "active" : "" },
          label,
          href === "#/queue" && state.queueCount
            ? h("span", { class: "badge", "aria-label": "排队人数" }, state.queueCount)
            : null,
        ),
      ),
    );
  }

  // ------------------------------------------------------------------ queue

  function queueTable(items, kind) {
    if (!items.length) return h("p", { class: "muted" }, kind === "escalated" ? "目前没有人在排队。" : "没有正在处理的会话。");
    return h(
      "table",
      {},
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", {}, "居民"),
          h("th", {}, "渠道"),
          h("th", {}, "原因"),
          h("th", {}, "等待"),
          h("th", {}, "最新消息"),
          h("th", {}, "接待人"),
          h("th", {}, ""),
        ),
      ),
      h(
        "tbody",
        {},
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
                  await api("POST", `/conversations/${c.id}/claim`, {});
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
            h("td", {}, CHANNELS[c.channel] || c.channel),
            h("td", {}, c.escalationReasonLabel || "—"),
            h("td", {}, fmtWait(c.waitingMs)),
            h("td", { class: "small" }, c.preview || ""),
            h("td", {}, c.claimedByName || "—"),
            h("td", {}, kind === "escalated" ? claim : h("button", { type: "button", class: "secondary" }, "打开")),
          );
        }),
      ),
    );
  }

  async function screenQueue() {
    const gen = state.gen;
    const waiting = h("div", {});
    const mine = h("div", {});
    const updated = h("p", { class: "muted small" });
    app().replaceChildren(
      h("h1", {}, "人工队列"),
      h("p", { class: "muted small" }, "最早排队的在最上面。点“接入”开始服务，列表每 3 秒自动刷新。"),
      h("h2", {}, "排队中"),
      waiting,
      h("h2", {}, "人工服务中"),
      mine,
      updated,
    );
    const load = async () => {
      const [q, s] = await Promise.all([
        api("GET", "/conversations?status=escalated"),
        api("GET", "/conversations?status=staff"),
      ]);
      state.queueCount = q.items.length;
      layout();
      waiting.replaceChildren(queueTable(q.items, "escalated"));
      mine.replaceChildren(queueTable(s.items, "staff"));
      updated.textContent = `更新于 ${fmtTime(Date.now())}`;
    };
    await load();
    every(POLL_MS, () => load().catch(() => {}), gen);
  }

  // ------------------------------------------------------------------ one conversation

  /** A button showing one full value (ID number, a phone, an answer) in `target`; the server audits it. */
  function revealButton(applicationId, target, field = "idNumber") {
    if (!can("reviewer")) return h("span", { class: "muted small" }, "（审核员可查看完整号码）");
    const what = field === "idNumber" ? "身份证号" : field === "infoAnswer" ? "补充内容原文" : "电话号码";
    return h(
      "button",
      {
        type: "button",
        class: "link",
        onclick: (e) => {
          // Kept: the event's currentTarget is gone once the handler awaits.
          const button = e.currentTarget;
          return act(button, async () => {
            if (!confirm(`查看完整${what}会被记录在操作日志中。确定查看吗？`)) return;
            const res = await api("POST", `/applications/${applicationId}/reveal`, { field });
            target.textContent = res.value;
            button.remove();
          });
        },
      },
      field === "infoAnswer" ? "查看原文" : "查看完整号码",
    );
  }

  /** A masked value with its reveal button. */
  function revealable(applicationId, masked, field) {
    const text = h("span", {}, masked || "—");
    return [text, " ", masked ? revealButton(applicationId, text, field) : null];
  }

  async function screenConversation(id) {
    const gen = state.gen;
    const header = h("div", {});
    const transcript = h("div", { class: "transcript", role: "log", "aria-label": "聊天记录" });
    const notes = h("div", {});
    const apps = h("div", {});
    const replyBox = h("textarea", { name: "reply", placeholder: "输入回复，发送后居民会在原渠道收到", maxlength: 2000 });
    const noteBox = h("textarea", { name: "note", placeholder: "内部备注，居民看不到", maxlength: 2000 });
    let lastCount = -1;

    const send = h(
      "button",
      {
        type: "submit",
      },
      "发送回复",
    );
    const replyForm = h(
      "form",
      {
        onsubmit: (e) => {
          e.preventDefault();
          const text = replyBox.value.trim();
          if (!text) return;
          act(send, async () => {
            await api("POST", `/conversations/${id}/messages`, { text });
            replyBox.value = "";
            toast("已发送");
            await load();
          });
        },
      },
      replyBox,
      h("div", { class: "actions" }, send),
    );
    const addNote = h("button", { type: "submit", class: "secondary" }, "添加备注");
    const noteForm = h(
      "form",
      {
        onsubmit: (e) => {
          e.preventDefault();
          const text = noteBox.value.trim();
          if (!text) return;
          act(addNote, async () => {
            await api("POST", `/conversations/${id}/notes`, { text });
            noteBox.value = "";
            await load();
          });
        },
      },
      noteBox,
      h("div", { class: "actions" }, addNote),
    );

    app().replaceChildren(
      h("p", {}, h("a", { href: "#/queue" }, "← 返回队列")),
      header,
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

    const load = async () => {
      const c = await api("GET", `/conversations/${id}`);
      const buttons = [];
      if (c.status === "escalated" || (c.status === "staff" && c.claimedBy !== state.user.id)) {
        buttons.push(
          h(
            "button",
            {
              type: "button",
              onclick: (e) =>
                act(e.currentTarget, async () => {
                  await api("POST", `/conversations/${id}/claim`, c.status === "staff" ? { force: true } : {});
                  toast("已接入");
                  await load();
                }),
            },
            c.status === "staff" ? "改由我接待" : "接入",
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
                act(e.currentTarget, async () => {
                  if (!confirm("结束人工服务，交还给助手？居民会收到提示。")) return;
                  await api("POST", `/conversations/${id}/resolve`);
                  toast("已结束人工服务");
                  await load();
                }),
            },
            "结束人工，交还助手",
          ),
        );
      }
      header.replaceChildren(
        h("h1", {}, `会话：${c.displayName || c.userId}`),
        h(
          "p",
          {},
          statusTag(c.status, CONV_STATUS),
          ` 渠道：${CHANNELS[c.channel] || c.channel}`,
          c.escalationReasonLabel ? ` · 原因：${c.escalationReasonLabel}` : "",
          c.waitingMs !== null && c.status === "escalated" ? ` · 已等待 ${fmtWait(c.waitingMs)}` : "",
          c.claimedByName ? ` · 接待人：${c.claimedByName}` : "",
          c.district ? ` · 区县：${c.district}` : "",
        ),
        h("div", { class: "actions" }, buttons),
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
                `${m.author === "staff" && m.staffName ? `工作人员 ${m.staffName}` : AUTHORS[m.author] || m.author} · ${fmtTime(m.createdAt)}`,
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
          ? c.applications.map((a) => {
              const idText = h("span", {}, a.idNumberMasked || "—");
              return h(
                "div",
                { class: "panel" },
                h("strong", {}, `${a.typeLabel} `),
                statusTag(a.status, APP_STATUS),
                h(
                  "dl",
                  { class: "fields small" },
                  h("dt", {}, "编号"),
                  h("dd", {}, can("reviewer") ? h("a", { href: `#/application/${a.id}` }, a.reference) : a.reference),
                  h("dt", {}, "姓名"),
                  h("dd", {}, a.name || "—"),
                  h("dt", {}, "身份证号"),
                  h("dd", {}, idText, " ", a.idNumberMasked ? revealButton(a.id, idText) : null),
                  h("dt", {}, "电话"),
                  h("dd", {}, ...revealable(a.id, a.phoneMasked, "phone")),
                  h("dt", {}, "提交时间"),
                  h("dd", {}, fmtTime(a.createdAt)),
                ),
              );
            })
          : [h("p", { class: "muted small" }, "没有申请。")]),
      );
    };
    await load();
    every(POLL_MS, () => load().catch(() => {}), gen);
  }

  // ------------------------------------------------------------------ applications

  function options(labels, selected, blank) {
    return [
      h("option", { value: "" }, blank),
      ...Object.entries(labels).map(([value, label]) => h("option", { value, selected: value === selected }, label)),
    ];
  }

  async function screenApplications(params) {
    const gen = state.gen;
    const type = h("select", { name: "type" }, options(APP_TYPES, params.get("type"), "全部类型"));
    const status = h("select", { name: "status" }, options(APP_STATUS, params.get("status") ?? "pending", "全部状态"));
    const district = h("select", { name: "district" }, options(DISTRICTS, params.get("district") || "", "全部区县"));
    const from = h("input", { name: "from", type: "date", value: params.get("from") || "" });
    const to = h("input", { name: "to", type: "date", value: params.get("to") || "" });
    const list = h("div", {});
    const search = () => {
      const q = new URLSearchParams();
      for (const [k, el] of Object.entries({ type, status, district, from, to })) if (el.value.trim()) q.set(k, el.value.trim());
      if (!status.value) q.set("status", "");
      location.hash = `#/applications?${q}`;
    };
    app().replaceChildren(
      h("h1", {}, "申请审核"),
      h(
        "form",
        {
          class: "filters",
          onsubmit: (e) => {
            e.preventDefault();
            search();
          },
        },
        h("label", {}, "类型", type),
        h("label", {}, "状态", status),
        h("label", {}, "区县", district),
        h("label", {}, "提交日期从", from),
        h("label", {}, "到", to),
        h("button", { type: "submit" }, "筛选"),
      ),
      list,
    );
    const q = new URLSearchParams();
    for (const [k, el] of Object.entries({ type, status, district, from, to })) if (el.value.trim()) q.set(k, el.value.trim());
    const res = await api("GET", `/applications?${q}`);
    if (stale(gen)) return;
    list.replaceChildren(
      h("p", { class: "muted small" }, `共 ${res.total} 份，最早提交的在前。`),
      res.items.length
        ? h(
            "table",
            {},
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                h("th", {}, "编号"),
                h("th", {}, "类型"),
                h("th", {}, "状态"),
                h("th", {}, "姓名"),
                h("th", {}, "身份证号"),
                h("th", {}, "区县"),
                h("th", {}, "提交时间"),
              ),
            ),
            h(
              "tbody",
              {},
              res.items.map((a) =>
                h(
                  "tr",
                  {
                    class: "clickable",
                    onclick: () => {
                      location.hash = `#/application/${a.id}`;
                    },
                  },
                  h("td", {}, h("a", { href: `#/application/${a.id}` }, a.reference)),
                  h("td", {}, a.typeLabel),
                  h("td", {}, statusTag(a.status, APP_STATUS)),
                  h("td", {}, a.name || "—"),
                  h("td", {}, a.idNumberMasked || "—"),
                  h("td", {}, a.district || "—"),
                  h("td", {}, fmtTime(a.createdAt)),
                ),
              ),
            ),
          )
        : h("p", { class: "muted" }, "没有符合条件的申请。"),
    );
  }

  async function screenApplication(id) {
    const gen = state.gen;
    const a = await api("GET", `/applications/${id}`);
    if (stale(gen)) return;
    const idText = h("span", {}, a.idNumberMasked || "—");
    const reason = h("textarea", {
      name: "reason",
      placeholder: "不通过的原因，或需要居民补充的内容（居民会收到）",
      maxlength: 1000,
    });
    const decide = (decision) => (e) =>
      act(e.currentTarget, async () => {
        const text = reason.value.trim();
        if (decision !== "approve" && !text) {
          toast(decision === "reject" ? "请填写不通过的原因" : "请填写需要补充的内容", true);
          reason.focus();
          return;
        }
        const label = DECISIONS[decision] || decision;
        if (!confirm(`确定“${label}”这份申请吗？居民会收到通知。`)) return;
        await api("POST", `/applications/${id}/decision`, { decision, reason: text || undefined });
        toast(`已${label}，已通知居民`);
        await render();
      });
    const open = a.status === "pending" || a.status === "info_requested";
    const phoneFields = new Set(a.phoneFields || []);
    const dataRows = Object.entries(a.data || {}).flatMap(([k, v]) => [
      h("dt", {}, FIELD_LABELS[a.type]?.[k] || k),
      phoneFields.has(k)
        ? h("dd", {}, ...revealable(a.id, String(v), k))
        : h("dd", {}, typeof v === "object" ? JSON.stringify(v) : String(v)),
    ]);
    app().replaceChildren(
      h("p", {}, h("a", { href: "#/applications" }, "← 返回申请列表")),
      h("h1", {}, `${a.typeLabel} ${a.reference}`),
      h(
        "p",
        {},
        statusTag(a.status, APP_STATUS),
        ` 提交于 ${fmtTime(a.createdAt)}`,
        a.decidedAt ? ` · ${a.decidedByName || ""} 决定于 ${fmtTime(a.decidedAt)}` : "",
      ),
      h(
        "div",
        { class: "row" },
        h(
          "div",
          { class: "grow panel" },
          h(
            "dl",
            { class: "fields" },
            h("dt", {}, "姓名"),
            h("dd", {}, a.name || "—"),
            h("dt", {}, "身份证号"),
            h("dd", {}, idText, " ", a.hasIdNumber ? revealButton(a.id, idText) : null),
            h("dt", {}, "电话"),
            h("dd", {}, ...revealable(a.id, a.phoneMasked, "phone")),
            h("dt", {}, "渠道"),
            h("dd", {}, CHANNELS[a.resident.channel] || a.resident.channel),
            ...dataRows,
            a.decisionReason ? [h("dt", {}, "审核意见"), h("dd", {}, a.decisionReason)] : [],
          ),
          a.infoRequest
            ? h(
                "div",
                { class: "panel" },
                h("h2", {}, "补充材料"),
                h(
                  "p",
                  {},
                  `要求（${a.infoRequest.askedBy || ""} ${fmtTime(a.infoRequest.askedAt)}）：${a.infoRequest.question || ""}`,
                ),
                a.infoRequest.answer
                  ? h(
                      "p",
                      {},
                      `居民回复（${fmtTime(a.infoRequest.answeredAt)}）：`,
                      ...(a.infoRequest.answerHidden
                        ? revealable(a.id, a.infoRequest.answer, "infoAnswer")
                        : [a.infoRequest.answer]),
                    )
                  : h("p", {}, "居民还没有回复。"),
              )
            : null,
          a.conversationId && can("agent")
            ? h("p", {}, h("a", { href: `#/conversation/${a.conversationId}` }, "查看与该居民的会话"))
            : null,
        ),
        h(
          "div",
          { class: "side panel" },
          h("h2", {}, "审核"),
          open
            ? [
                reason,
                h(
                  "div",
                  { class: "actions" },
                  h("button", { type: "button", onclick: decide("approve") }, "通过"),
                  h("button", { type: "button", class: "danger", onclick: decide("reject") }, "不通过"),
                  h("button", { type: "button", class: "secondary", onclick: decide("request_info") }, "要求补充材料"),
                ),
              ]
            : h("p", { class: "muted" }, "这份申请已经处理完毕。"),
        ),
      ),
    );
  }

  // ------------------------------------------------------------------ insight

  async function screenDashboard() {
    const gen = state.gen;
    const box = h("div", {});
    app().replaceChildren(h("h1", {}, "数据看板"), box);
    const load = async () => {
      const s = await api("GET", "/stats");
      const card = (value, label) =>
        h("div", { class: "card" }, h("div", { class: "value" }, value), h("div", { class: "label" }, label));
      box.replaceChildren(
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
        h(
          "p",
          { class: "muted small" },
          s.officeOpen ? "现在是工作时间。" : "现在是非工作时间，转人工的居民会在上班后得到回复。",
        ),
        h("h2", {}, "本月居住登记（按区县）"),
        s.registrationsThisMonthByDistrict.length
          ? h(
              "table",
              {},
              h("thead", {}, h("tr", {}, h("th", {}, "区县"), h("th", {}, "登记数"))),
              h(
                "tbody",
                {},
                s.registrationsThisMonthByDistrict.map((r) =>
                  h("tr", {}, h("td", {}, r.district || "未填写"), h("td", {}, r.count)),
                ),
              ),
            )
          : h("p", { class: "muted" }, "本月还没有居住登记。"),
        h("p", { class: "muted small" }, `更新于 ${fmtTime(s.generatedAt)}`),
      );
    };
    await load();
    every(30000, () => load().catch(() => {}), gen);
  }

  async function screenUnanswered() {
    const gen = state.gen;
    const res = await api("GET", "/insights/unanswered");
    if (stale(gen)) return;
    app().replaceChildren(
      h("h1", {}, "助手没答上来的问题"),
      h("p", { class: "muted small" }, "按被问次数排序。可据此补充知识库。"),
      res.items.length
        ? h(
            "table",
            {},
            h("thead", {}, h("tr", {}, h("th", {}, "问题（示例）"), h("th", {}, "次数"), h("th", {}, "最近一次"))),
            h(
              "tbody",
              {},
              res.items.map((q) => h("tr", {}, h("td", {}, q.sample), h("td", {}, q.count), h("td", {}, fmtTime(q.lastAskedAt)))),
            ),
          )
        : h("p", { class: "muted" }, "还没有记录。"),
    );
  }

  async function screenFeedback() {
    const gen = state.gen;
    const res = await api("GET", "/insights/feedback");
    if (stale(gen)) return;
    app().replaceChildren(
      h("h1", {}, "答案反馈"),
      h("p", { class: "muted small" }, "居民对每条知识库答案点“有用/没用”的次数，“没用”多的在前。"),
      res.items.length
        ? h(
            "table",
            {},
            h(
              "thead",
              {},
              h("tr", {}, h("th", {}, "知识条目"), h("th", {}, "有用"), h("th", {}, "没用"), h("th", {}, "最近反馈")),
            ),
            h(
              "tbody",
              {},
              res.items.map((f) =>
                h(
                  "tr",
                  {},
                  h("td", {}, f.entryId),
                  h("td", {}, f.helpful),
                  h("td", {}, f.unhelpful),
                  h("td", {}, fmtTime(f.lastAt)),
                ),
              ),
            ),
          )
        : h("p", { class: "muted" }, "还没有反馈。"),
    );
  }

  // ------------------------------------------------------------------ broadcasts

  async function screenBroadcasts(params) {
    const gen = state.gen;
    const text = h("textarea", { name: "text", placeholder: "通知内容（居民会在各自的渠道收到）", maxlength: 1000 });
    const channel = h("select", { name: "channel" }, options(CHANNELS, "", "全部渠道"));
    const district = h("select", { name: "district" }, options(DISTRICTS, "", "全部区县"));
    const preview = h("p", { class: "muted" }, "");
    const progress = h("div", {});
    const recent = h("div", {});
    const audience = () => {
      const a = {};
      if (channel.value) a.channel = channel.value;
      if (district.value.trim()) a.district = district.value.trim();
      return a;
    };
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
              await api("POST", `/broadcasts/${id}/cancel`, {});
              await load();
            }),
        },
        "取消发送",
      );
      progress.replaceChildren(
        h("div", { class: "panel" }, h("h2", {}, `群发进度（${id}）`), h("div", { class: "progress" }, bar), line, cancel),
      );
      const load = async () => {
        const p = await api("GET", `/broadcasts/${id}`);
        const total = (p.sent || 0) + (p.failed || 0) + (p.pending || 0) + (p.cancelled || 0);
        bar.style.width = total ? `${Math.round((100 * ((p.sent || 0) + (p.failed || 0))) / total)}%` : "0";
        line.textContent =
          `已发送 ${p.sent || 0} · 失败 ${p.failed || 0} · 待发送 ${p.pending || 0} · 已取消 ${p.cancelled || 0}` +
          (p.unknown ? ` · 不确定是否送达 ${p.unknown}` : "") +
          ` · 状态：${BROADCAST_STATUS[p.status] || p.status || ""}`;
        cancel.hidden = !(p.pending > 0) || p.status === "cancelled";
      };
      load().catch((err) => toast(err.message, true));
      every(2000, () => load().catch(() => {}), gen);
    };
    const previewButton = h(
      "button",
      {
        type: "button",
        class: "secondary",
        onclick: (e) =>
          act(e.currentTarget, async () => {
            const res = await api("POST", "/broadcasts", {
              text: text.value.trim() || "（预览）",
              audience: audience(),
              dryRun: true,
            });
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
            const res = await api("POST", "/broadcasts", { text: body, audience: audience() });
            toast(`已开始发送，共 ${res.recipients} 位居民`);
            location.hash = `#/broadcasts?id=${encodeURIComponent(res.id)}`;
          }),
      },
      "发送",
    );
    app().replaceChildren(
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
    const list = await api("GET", "/broadcasts?limit=20");
    if (stale(gen)) return;
    recent.replaceChildren(
      list.items.length
        ? h(
            "table",
            {},
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                h("th", {}, "时间"),
                h("th", {}, "内容"),
                h("th", {}, "人数"),
                h("th", {}, "已发送"),
                h("th", {}, "失败"),
                h("th", {}, "状态"),
              ),
            ),
            h(
              "tbody",
              {},
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
                  h("td", {}, BROADCAST_STATUS[b.status] || b.status),
                ),
              ),
            ),
          )
        : h("p", { class: "muted" }, "还没有群发过。"),
    );
  }

  // ------------------------------------------------------------------ admin

  async function screenAudit(params) {
    const gen = state.gen;
    const before = params.get("before");
    const action = params.get("action") || "";
    const q = new URLSearchParams({ limit: "100" });
    if (before) q.set("before", before);
    if (action) q.set("action", action);
    const res = await api("GET", `/audit?${q}`);
    if (stale(gen)) return;
    const select = h("select", { name: "action" }, options(AUDIT_ACTIONS, action, "全部操作"));
    const last = res.items.at(-1);
    app().replaceChildren(
      h("h1", {}, "操作日志"),
      h(
        "form",
        {
          class: "filters",
          onsubmit: (e) => {
            e.preventDefault();
            location.hash = `#/audit?${new URLSearchParams(select.value ? { action: select.value } : {})}`;
          },
        },
        h("label", {}, "操作", select),
        h("button", { type: "submit" }, "筛选"),
      ),
      h(
        "table",
        {},
        h(
          "thead",
          {},
          h("tr", {}, h("th", {}, "时间"), h("th", {}, "人员"), h("th", {}, "操作"), h("th", {}, "对象"), h("th", {}, "说明")),
        ),
        h(
          "tbody",
          {},
          res.items.map((r) =>
            h(
              "tr",
              {},
              h("td", {}, fmtTime(r.createdAt)),
              h("td", {}, r.username || "—"),
              h("td", {}, AUDIT_ACTIONS[r.action] || r.action),
              h("td", { class: "small" }, r.targetType ? `${r.targetType} ${r.targetId || ""}` : "—"),
              h("td", { class: "small" }, r.detail || ""),
            ),
          ),
        ),
      ),
      res.items.length === 100 && last
        ? h(
            "p",
            {},
            h(
              "a",
              { href: `#/audit?${new URLSearchParams({ ...(action ? { action } : {}), before: String(last.id) })}` },
              "更早的记录 →",
            ),
          )
        : null,
    );
  }

  async function screenUsers() {
    const gen = state.gen;
    const res = await api("GET", "/users");
    if (stale(gen)) return;
    const username = h("input", { name: "username", required: true, size: 14 });
    const password = h("input", {
      name: "password",
      type: "password",
      required: true,
      minlength: 8,
      size: 14,
      autocomplete: "new-password",
    });
    const role = h(
      "select",
      { name: "role" },
      Object.entries(ROLE_LABELS).map(([v, l]) => h("option", { value: v }, l)),
    );
    const create = h("button", { type: "submit" }, "新建账号");
    const patch = (id, body, message) => (e) =>
      act(e.currentTarget, async () => {
        await api("PATCH", `/users/${id}`, body);
        toast(message);
        await render();
      });
    app().replaceChildren(
      h("h1", {}, "账号管理"),
      h(
        "form",
        {
          class: "filters panel",
          onsubmit: (e) => {
            e.preventDefault();
            act(create, async () => {
              await api("POST", "/users", { username: username.value.trim(), password: password.value, role: role.value });
              toast("账号已创建");
              await render();
            });
          },
        },
        h("label", {}, "用户名", username),
        h("label", {}, "初始密码（至少 8 位）", password),
        h("label", {}, "角色", role),
        create,
      ),
      h(
        "table",
        {},
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", {}, "用户名"),
            h("th", {}, "角色"),
            h("th", {}, "状态"),
            h("th", {}, "创建时间"),
            h("th", {}, "操作"),
          ),
        ),
        h(
          "tbody",
          {},
          res.items.map((u) => {
            const roleSelect = h(
              "select",
              { "aria-label": `${u.username} 的角色` },
              Object.entries(ROLE_LABELS).map(([v, l]) => h("option", { value: v, selected: v === u.role }, l)),
            );
            roleSelect.addEventListener("change", (e) => patch(u.id, { role: roleSelect.value }, "角色已修改")(e));
            const self = u.id === state.user.id;
            return h(
              "tr",
              {},
              h("td", {}, u.username),
              h("td", {}, self ? ROLE_LABELS[u.role] : roleSelect),
              h("td", {}, u.disabled ? "已停用" : u.locked ? "已锁定" : "正常"),
              h("td", {}, fmtTime(u.createdAt)),
              h(
                "td",
                {},
                h(
                  "div",
                  { class: "actions" },
                  self
                    ? h("span", { class: "muted small" }, "（当前账号）")
                    : [
                        h(
                          "button",
                          {
                            type: "button",
                            class: "secondary",
                            onclick: patch(u.id, { disabled: !u.disabled }, u.disabled ? "已启用" : "已停用"),
                          },
                          u.disabled ? "启用" : "停用",
                        ),
                        u.locked
                          ? h(
                              "button",
                              { type: "button", class: "secondary", onclick: patch(u.id, { unlock: true }, "已解锁") },
                              "解锁",
                            )
                          : null,
                        h(
                          "button",
                          {
                            type: "button",
                            class: "secondary",
                            onclick: (e) => {
                              const pw = prompt(`为 ${u.username} 设置新密码（至少 8 位）：`);
                              if (pw) patch(u.id, { password: pw }, "密码已重置，原登录已失效")(e);
                            },
                          },
                          "重置密码",
                        ),
                      ],
                ),
              ),
            );
          }),
        ),
      ),
    );
  }

  async function screenChannels() {
    const gen = state.gen;
    const box = h("div", {});
    app().replaceChildren(h("h1", {}, "渠道状态"), box);
    const load = async () => {
      const res = await api("GET", "/channels");
      box.replaceChildren(
        ...res.items.map((c) =>
          h(
            "div",
            { class: "panel" },
            h("h2", {}, CHANNELS[c.id] || c.id),
            h("p", {}, c.enabled ? "已启用" : "未启用"),
            c.id === "wechat" && c.enabled
              ? [
                  h("p", {}, c.loggedIn ? `已登录${c.user ? `：${c.user}` : ""}` : "未登录，请用办公微信扫码登录。"),
                  !c.loggedIn && c.qr
                    ? /^data:image\//.test(c.qr)
                      ? h("img", { src: c.qr, alt: "微信登录二维码", width: 240, height: 240 })
                      : [
                          h("p", { class: "small muted" }, "二维码内容（可用任意二维码工具生成后扫码）："),
                          h("div", { class: "qr" }, c.qr),
                        ]
                    : null,
                ]
              : null,
          ),
        ),
      );
    };
    await load();
    every(5000, () => load().catch(() => {}), gen);
  }

  async function screenPassword() {
    const current = h("input", { type: "password", name: "currentPassword", autocomplete: "current-password", required: true });
    const next = h("input", { type: "password", name: "password", autocomplete: "new-password", minlength: 8, required: true });
    const save = h("button", { type: "submit" }, "保存");
    app().replaceChildren(
      h("h1", {}, "修改密码"),
      state.user.mustChangePassword
        ? h("p", { class: "error", role: "alert" }, "您用的是首次启动时生成的一次性密码，请先设置自己的新密码。")
        : "",
      h(
        "form",
        {
          class: "panel login",
          onsubmit: (e) => {
            e.preventDefault();
            act(save, async () => {
              await api("POST", "/me/password", { currentPassword: current.value, password: next.value });
              current.value = "";
              next.value = "";
              toast("密码已修改");
              if (state.user.mustChangePassword) {
                state.user = { ...state.user, mustChangePassword: false };
                go(home());
              }
            });
          },
        },
        h("label", {}, "当前密码", current),
        h("label", {}, "新密码（至少 8 位）", next),
        save,
      ),
    );
  }

  // ------------------------------------------------------------------ routing

  const ROUTES = {
    queue: [screenQueue, ["agent"]],
    conversation: [screenConversation, ["agent"]],
    applications: [screenApplications, ["reviewer"]],
    application: [screenApplication, ["reviewer"]],
    dashboard: [screenDashboard, ["agent", "reviewer"]],
    unanswered: [screenUnanswered, ["agent", "reviewer"]],
    feedback: [screenFeedback, ["agent", "reviewer"]],
    broadcasts: [screenBroadcasts, []],
    audit: [screenAudit, []],
    users: [screenUsers, []],
    channels: [screenChannels, []],
    password: [screenPassword, ["agent", "reviewer"]],
  };

  async function render() {
    stopTimers();
    state.gen++;
    if (!state.user) return showLogin();
    const [path, query] = location.hash.replace(/^#\/?/, "").split("?");
    const [name, arg] = (path || "").split("/");
    // A one-time password must be replaced before anything else.
    if (state.user.mustChangePassword && name !== "password") {
      location.hash = "#/password";
      return;
    }
    const route = ROUTES[name];
    if (!route || !can(...route[1])) {
      location.hash = home();
      return;
    }
    try {
      await loadMeta();
      layout();
      await route[0](arg ? decodeURIComponent(arg) : new URLSearchParams(query || ""), new URLSearchParams(query || ""));
    } catch (err) {
      if (err.status !== 401) app().replaceChildren(h("p", { class: "error", role: "alert" }, err.message || "加载失败"));
    }
  }

  async function start() {
    $("logout").addEventListener("click", () =>
      act($("logout"), async () => {
        await api("POST", "/logout", {}).catch(() => {});
        state.user = null;
        state.csrf = null;
        history.replaceState(null, "", "#/login");
        showLogin("已退出登录。");
      }),
    );
    window.addEventListener("hashchange", () => {
      if (state.user) render();
    });
    try {
      const me = await api("GET", "/me");
      state.user = me.user;
      state.csrf = me.csrfToken || null;
      go(!location.hash || location.hash === "#/login" ? home() : location.hash);
    } catch {
      showLogin();
    }
  }

  start();
})();
