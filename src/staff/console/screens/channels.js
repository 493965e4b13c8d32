// @ts-check
// 渠道状态 (admins): which channels are on; the WeChat login QR code while it waits for a scan.
import { listChannels } from "../lib/client.js";
import { h, main } from "../lib/dom.js";
import { labels } from "../lib/meta.js";

/** @type {import("../lib/view.js").Screen} */
export async function screenChannels(view) {
  const box = h("div", {});
  main().replaceChildren(h("h1", {}, "渠道状态"), box);
  const load = async () => {
    const res = await listChannels();
    if (view.stale()) return;
    box.replaceChildren(
      ...res.items.map((c) =>
        h(
          "div",
          { class: "panel" },
          h("h2", {}, labels.channels[c.id] ?? c.id),
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
  view.every(5000, load);
}
