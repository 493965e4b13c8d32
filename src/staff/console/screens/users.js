// @ts-check
// 账号管理 (admins): create accounts, change roles (the roles /meta lists), disable, unlock, reset passwords.
import { act, me } from "../lib/api.js";
import { createUser, listUsers, updateUser } from "../lib/client.js";
import { fmtTime, h, main, table, toast } from "../lib/dom.js";
import { labels } from "../lib/meta.js";
import { go } from "../lib/view.js";

/** @type {import("../lib/view.js").Screen} */
export async function screenUsers(view) {
  const res = await listUsers();
  if (view.stale()) return;
  const roleOptions = (/** @type {string} */ selected) =>
    Object.entries(labels.roles).map(([code, label]) => h("option", { value: code, selected: code === selected }, label));
  const username = h("input", { name: "username", required: true, size: 14 });
  const password = h("input", {
    name: "password",
    type: "password",
    required: true,
    minlength: 12,
    size: 14,
    autocomplete: "new-password",
  });
  const role = h("select", { name: "role" }, roleOptions(""));
  const create = h("button", { type: "submit" }, "新建账号");
  /**
   * @param {string} id
   * @param {Parameters<typeof updateUser>[1]} body
   * @param {string} message
   */
  const patch = (id, body, message) => (/** @type {Event} */ e) =>
    act(e.currentTarget instanceof HTMLButtonElement ? e.currentTarget : null, async () => {
      await updateUser(id, body);
      toast(message);
      go(location.hash);
    });
  main().replaceChildren(
    h("h1", {}, "账号管理"),
    h(
      "form",
      {
        class: "filters panel",
        onsubmit: (e) => {
          e.preventDefault();
          act(create, async () => {
            await createUser({ username: username.value.trim(), password: password.value, role: role.value });
            toast("账号已创建");
            go(location.hash);
          });
        },
      },
      h("label", {}, "用户名", username),
      h("label", {}, "初始密码（至少 12 位）", password),
      h("label", {}, "角色", role),
      create,
    ),
    table(
      ["用户名", "角色", "状态", "创建时间", "操作"],
      res.items.map((u) => {
        const self = u.id === me().id;
        const roleSelect = h("select", { "aria-label": `${u.username} 的角色` }, roleOptions(u.role));
        roleSelect.addEventListener("change", (e) => patch(u.id, { role: roleSelect.value }, "角色已修改")(e));
        return h(
          "tr",
          {},
          h("td", {}, u.username),
          h("td", {}, self ? (labels.roles[u.role] ?? u.role) : roleSelect),
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
                          const pw = prompt(`为 ${u.username} 设置新密码（至少 12 位）：`);
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
  );
}
