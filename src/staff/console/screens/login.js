// @ts-check
// 工作人员登录 and 修改密码 (a one-time password must be replaced first).
import { act, me, session } from "../lib/api.js";
import { changePassword, signIn } from "../lib/client.js";
import { $, h, main, toast } from "../lib/dom.js";

/**
 * The sign-in form; `signedIn` runs once the session is set.
 * @param {string} message shown above the form ("登录已失效…")
 * @param {() => void} signedIn
 */
export function showLogin(message, signedIn) {
  $("top").hidden = true;
  const error = h("p", { class: "error", role: "alert" }, message);
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
            const res = await signIn(username.value, password.value);
            session.user = res.user;
            session.csrf = res.csrfToken;
            signedIn();
          } catch (err) {
            error.textContent = err instanceof Error ? err.message : "登录失败";
          }
        });
      },
    },
    h("label", {}, "用户名", username),
    h("label", {}, "密码", password),
    submit,
    error,
  );
  main().replaceChildren(h("div", { class: "login panel" }, h("h1", {}, "工作人员登录"), form));
  username.focus();
}

/**
 * @param {() => void} changed runs after a one-time password was replaced
 * @returns {import("../lib/view.js").Screen}
 */
export const screenPassword = (changed) => async () => {
  const current = h("input", { type: "password", name: "currentPassword", autocomplete: "current-password", required: true });
  const next = h("input", { type: "password", name: "password", autocomplete: "new-password", minlength: 12, required: true });
  const save = h("button", { type: "submit" }, "保存");
  main().replaceChildren(
    h("h1", {}, "修改密码"),
    me().mustChangePassword
      ? h("p", { class: "error", role: "alert" }, "您用的是首次启动时生成的一次性密码，请先设置自己的新密码。")
      : "",
    h(
      "form",
      {
        class: "panel login",
        onsubmit: (e) => {
          e.preventDefault();
          act(save, async () => {
            await changePassword(current.value, next.value);
            current.value = "";
            next.value = "";
            toast("密码已修改");
            if (me().mustChangePassword) {
              session.user = { ...me(), mustChangePassword: false };
              changed();
            }
          });
        },
      },
      h("label", {}, "当前密码", current),
      h("label", {}, "新密码（至少 12 位，不能是常见密码）", next),
      save,
    ),
  );
};
