// The web chat page: talks to /chat/* with the session cookie; never picks its own user id.
(() => {
  const log = document.getElementById("log");
  const input = document.getElementById("input");
  const form = document.getElementById("composer");
  const send = document.getElementById("send");
  const typing = document.getElementById("typing");
  const status = document.getElementById("status");
  const shown = new Set();
  let lastId = 0;
  let busy = false;

  function scroll() { log.scrollTop = log.scrollHeight; }

  function clearChoices() { for (const el of log.querySelectorAll(".choices")) el.remove(); }

  function render(m) {
    if (m.id && shown.has(m.id)) return;
    if (m.id) { shown.add(m.id); lastId = Math.max(lastId, m.id); }
    const el = document.createElement("div");
    el.className = `msg ${m.author}`;
    if (m.author === "staff") {
      const who = document.createElement("div");
      who.className = "who";
      who.textContent = "工作人员";
      el.appendChild(who);
    }
    // A cited answer's last line, "来源：…" (the entries with their review dates, the national
    // rules), is shown as written, as a styled line below the text.
    const cited = m.sources && m.sources.length ? /\n*(来源：[^\n]*)$/.exec(m.text) : null;
    el.appendChild(document.createTextNode(cited ? m.text.slice(0, cited.index) : m.text));
    if (cited) {
      const src = document.createElement("div");
      src.className = "src";
      src.textContent = cited[1];
      el.appendChild(src);
    }
    log.appendChild(el);
    if (m.author !== "resident" && m.choices && m.choices.length) {
      clearChoices();
      const box = document.createElement("div");
      box.className = "choices";
      for (const c of m.choices) {
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = c;
        b.addEventListener("click", () => submit(c));
        box.appendChild(b);
      }
      log.appendChild(box);
    }
    scroll();
  }

  let refreshAfterSend = false;

  async function refresh() {
    // While a message is on its way, its answer arrives with the POST; refresh afterwards.
    if (busy) {
      refreshAfterSend = true;
      return;
    }
    try {
      const res = await fetch(`/chat/history?after=${lastId}`, { credentials: "same-origin" });
      if (!res.ok) return;
      const data = await res.json();
      for (const m of data.messages) render(m);
      status.textContent = data.handoff ? "已转接工作人员，请稍候" : "新宁波人的办事小帮手";
    } catch { /* offline: the next wake or poll retries */ }
  }

  async function submit(text) {
    const value = text.trim();
    if (busy) return;
    busy = true;
    send.disabled = true;
    clearChoices();
    render({ author: "resident", text: value || text });
    typing.hidden = false;
    scroll();
    try {
      const res = await fetch("/chat/messages", {
        method: "POST",
        credentials: "same-origin",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text, messageId: crypto.randomUUID ? crypto.randomUUID() : String(Date.now() + Math.random()) }),
      });
      const data = await res.json();
      if (!res.ok) {
        render({ author: "bot", text: data.error?.message || "网络有点问题，请稍后再试。" });
      } else {
        // messageIds: the resident's own message first, then the replies.
        const ids = data.messageIds || [];
        if (ids[0]) {
          shown.add(ids[0]);
          lastId = Math.max(lastId, ids[0]);
        }
        data.replies.forEach((r, i) => render({ ...r, id: ids[i + 1], author: "bot" }));
        status.textContent = data.handoff ? "已转接工作人员，请稍候" : "新宁波人的办事小帮手";
      }
    } catch {
      render({ author: "bot", text: "网络好像断开了，请检查网络后再发一次。" });
    } finally {
      typing.hidden = true;
      busy = false;
      send.disabled = false;
      input.focus();
      if (refreshAfterSend) {
        refreshAfterSend = false;
        refresh();
      }
    }
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (busy) return; // keep what was typed until the previous message is answered
    const text = input.value;
    input.value = "";
    submit(text);
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit(); }
  });

  async function start() {
    await refresh();
    if (lastId === 0) await submit("你好");
    if (window.EventSource) {
      const es = new EventSource("/chat/events");
      es.addEventListener("wake", refresh);
    }
    setInterval(refresh, 15000);
  }
  start();
})();
