// @ts-check
// 甬居助手 staff console: signs in, then shows one screen per hash (#/queue, #/conversation/<id>…).
// Which roles see a screen is checked here for the menu and again by the server for every call.
import { ApiError, act, can, me, session } from "./lib/api.js";
import { signOut, whoAmI } from "./lib/client.js";
import { $, h, main } from "./lib/dom.js";
import { layout, setNav } from "./lib/layout.js";
import { loadMeta } from "./lib/meta.js";
import { mayLeave, nextView, unsavedWork } from "./lib/view.js";
import { screenApplication, screenApplications } from "./screens/applications.js";
import { screenAudit } from "./screens/audit.js";
import { screenBroadcasts } from "./screens/broadcasts.js";
import { screenChannels } from "./screens/channels.js";
import { screenConversation } from "./screens/conversation.js";
import { screenDashboard } from "./screens/dashboard.js";
import { screenDeletions } from "./screens/deletions.js";
import { screenDeliveries } from "./screens/deliveries.js";
import { screenDraft } from "./screens/draft.js";
import { screenEntry } from "./screens/entry.js";
import { screenFeedback } from "./screens/feedback.js";
import { screenKnowledge } from "./screens/knowledge.js";
import { screenPassword, showLogin } from "./screens/login.js";
import { screenQueue } from "./screens/queue.js";
import { screenUnanswered } from "./screens/unanswered.js";
import { screenUsers } from "./screens/users.js";

/** @typedef {import("./types.d.ts").StaffRole} StaffRole */
/** @typedef {{ screen: import("./lib/view.js").Screen, roles: StaffRole[], nav?: string }} Route */

/** Every role; admins see everything anyway. */
/** @type {StaffRole[]} */
const ANY = ["agent", "reviewer", "editor"];

/** Screens by the hash's first segment, in menu order; `nav` puts one in the menu. */
/** @type {Record<string, Route>} */
const ROUTES = {
  queue: { screen: screenQueue, roles: ["agent"], nav: "人工队列" },
  conversation: { screen: screenConversation, roles: ["agent"] },
  applications: { screen: screenApplications, roles: ["reviewer"], nav: "申请审核" },
  application: { screen: screenApplication, roles: ["reviewer"] },
  // #/knowledge: the list; #/knowledge/<entry id>: the editor.
  knowledge: {
    screen: (view, arg, params) => (arg ? screenEntry(view, arg, params) : screenKnowledge(view, arg, params)),
    roles: ["editor"],
    nav: "知识库",
  },
  draft: { screen: screenDraft, roles: ["editor"] },
  dashboard: { screen: screenDashboard, roles: ANY, nav: "数据看板" },
  unanswered: { screen: screenUnanswered, roles: ANY, nav: "未答问题" },
  feedback: { screen: screenFeedback, roles: ANY, nav: "答案反馈" },
  deliveries: { screen: screenDeliveries, roles: ["agent", "reviewer"], nav: "发送异常" },
  broadcasts: { screen: screenBroadcasts, roles: [], nav: "群发通知" },
  deletions: { screen: screenDeletions, roles: [], nav: "删除请求" },
  audit: { screen: screenAudit, roles: [], nav: "操作日志" },
  users: { screen: screenUsers, roles: [], nav: "账号管理" },
  channels: { screen: screenChannels, roles: [], nav: "渠道状态" },
  password: { screen: screenPassword(() => goHome()), roles: ANY, nav: "修改密码" },
};

setNav(
  Object.entries(ROUTES).flatMap(([name, route]) =>
    route.nav ? [{ href: `#/${name}`, label: route.nav, roles: route.roles }] : [],
  ),
);

/** The first screen of the signed-in user's role. */
function home() {
  const role = me().role;
  if (role === "reviewer") return "#/applications";
  if (role === "editor") return "#/knowledge";
  return "#/queue";
}

function goHome() {
  location.hash = home();
}

/** @param {string} [message] */
function login(message = "") {
  nextView();
  showLogin(message, () => {
    location.hash = !location.hash || location.hash === "#/login" ? home() : location.hash;
    render();
  });
}

/** The hash of the screen shown now: where a cancelled navigation goes back to. */
let shownHash = "";

async function render() {
  const view = nextView();
  shownHash = location.hash;
  if (!session.user) return login();
  const [path = "", query = ""] = location.hash.replace(/^#\/?/, "").split("?");
  const [name = "", arg] = path.split("/");
  // A one-time password must be replaced before anything else.
  if (session.user.mustChangePassword && name !== "password") {
    location.hash = "#/password";
    return;
  }
  const route = Object.hasOwn(ROUTES, name) ? ROUTES[name] : undefined;
  if (!route || !can(...route.roles)) {
    location.hash = home();
    return;
  }
  try {
    await loadMeta();
    if (view.stale()) return;
    layout();
    await route.screen(view, arg === undefined ? undefined : decodeURIComponent(arg), new URLSearchParams(query));
  } catch (err) {
    if (view.stale() || (err instanceof ApiError && err.status === 401)) return;
    main().replaceChildren(h("p", { class: "error", role: "alert" }, err instanceof Error ? err.message : "加载失败"));
  }
}

async function start() {
  session.onExpired = () => login("登录已失效，请重新登录。");
  const logout = /** @type {HTMLButtonElement} */ ($("logout"));
  logout.addEventListener("click", () =>
    act(logout, async () => {
      if (!mayLeave()) return;
      await signOut().catch(() => {});
      session.user = null;
      session.csrf = null;
      history.replaceState(null, "", "#/login");
      login("已退出登录。");
    }),
  );
  window.addEventListener("hashchange", () => {
    if (!session.user) return;
    // Unsaved edits: staying puts the address back (without another hashchange) and keeps the form.
    if (!mayLeave()) {
      history.replaceState(null, "", shownHash || location.pathname);
      return;
    }
    render();
  });
  // Closing or reloading the tab with unsaved edits: the browser asks (its own wording).
  window.addEventListener("beforeunload", (e) => {
    const question = unsavedWork();
    if (!question) return;
    e.preventDefault();
    // Older browsers only ask when returnValue is set (their own wording is shown, not this).
    e.returnValue = question;
  });
  try {
    const res = await whoAmI();
    session.user = res.user;
    session.csrf = res.csrfToken ?? null;
  } catch {
    return login();
  }
  if (!location.hash || location.hash === "#/login") location.hash = home();
  else render();
}

start();
