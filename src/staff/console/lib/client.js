// @ts-check
// The staff API calls the console makes, each with the type of its answer (types.d.ts, from the
// server's schemas): the one place that ties a path to a shape.
import { API, api } from "./api.js";

/** @import * as T from "../types.d.ts" */

/**
 * Casts the answer to the type the route's response schema gives it (the server validates it).
 * @template R
 * @param {Promise<unknown>} answer
 * @returns {Promise<R>}
 */
const as = (answer) => /** @type {Promise<R>} */ (answer);

/** @param {Record<string, string | number | null | undefined>} query */
export function qs(query) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** @param {string} id */
const enc = (id) => encodeURIComponent(id);

// ------------------------------------------------------------ session

/** @param {string} username @param {string} password @returns {Promise<{ user: T.Principal, csrfToken: string }>} */
export const signIn = (username, password) => as(api("POST", "/session", { username, password }));
/** @returns {Promise<{ user: T.Principal, csrfToken?: string }>} */
export const whoAmI = () => as(api("GET", "/me"));
export const signOut = () => api("POST", "/logout", {});
/** @param {string} currentPassword @param {string} password */
export const changePassword = (currentPassword, password) => api("POST", "/me/password", { currentPassword, password });
/** @returns {Promise<T.StaffMeta>} */
export const getMeta = () => as(api("GET", "/meta"));

// ------------------------------------------------------------ conversations

/** @param {string} status @returns {Promise<{ items: T.QueueItem[] }>} */
export const listConversations = (status) => as(api("GET", `/conversations${qs({ status })}`));
/** @param {string} id @returns {Promise<T.ConversationDetail>} */
export const getConversation = (id) => as(api("GET", `/conversations/${enc(id)}`));
/**
 * From the queue: no body; a colleague's: a reason (audited as a takeover).
 * @param {string} id @param {string} [reason]
 */
export const claimConversation = (id, reason) => api("POST", `/conversations/${enc(id)}/claim`, reason ? { reason } : {});
/** @param {string} id @param {string} [reason] */
export const resolveConversation = (id, reason) => api("POST", `/conversations/${enc(id)}/resolve`, reason ? { reason } : {});
/** @param {string} id @param {string} text */
export const replyTo = (id, text) => api("POST", `/conversations/${enc(id)}/messages`, { text });
/** @param {string} id @param {string} text */
export const addNote = (id, text) => api("POST", `/conversations/${enc(id)}/notes`, { text });

// ------------------------------------------------------------ applications

/** @param {Record<string, string>} filters @returns {Promise<{ items: T.ApplicationSummary[], total: number }>} */
export const listApplications = (filters) => as(api("GET", `/applications${qs(filters)}`));
/** @param {string} id @returns {Promise<T.ApplicationDetail>} */
export const getApplication = (id) => as(api("GET", `/applications/${enc(id)}`));
/** One full value (audited). @param {string} id @param {string} field @returns {Promise<{ field: string, value: string }>} */
export const revealField = (id, field) => as(api("POST", `/applications/${enc(id)}/reveal`, { field }));
/** @param {string} id @param {string} decision @param {string} [reason] */
export const decide = (id, decision, reason) => api("POST", `/applications/${enc(id)}/decision`, { decision, reason });

// ------------------------------------------------------------ insight

/** @returns {Promise<T.Stats>} */
export const getStats = () => as(api("GET", "/stats"));
/** @param {"open" | "handled"} status @returns {Promise<{ items: T.UnansweredItem[] }>} */
export const listUnanswered = (status) => as(api("GET", `/insights/unanswered${qs({ status, limit: 200 })}`));
/** Adds the question as an example of the entry (a publish) and marks it handled. @param {string} id @param {string} entryId */
export const attachUnanswered = (id, entryId) => api("POST", `/insights/unanswered/${enc(id)}/attach`, { entryId });
/** @param {string} id @returns {Promise<T.KnowledgeDraft>} the draft */
export const draftFromUnanswered = (id) => as(api("POST", `/insights/unanswered/${enc(id)}/draft`, {}));
/** @param {string} id */
export const dismissUnanswered = (id) => api("POST", `/insights/unanswered/${enc(id)}/dismiss`, {});
/** The last `days` days' series for the dashboard's charts. @param {number} days @returns {Promise<T.Dashboard>} */
export const getDashboard = (days) => as(api("GET", `/dashboard${qs({ days })}`));
/** Where a chart's data downloads as CSV (a plain link: the session cookie authenticates a GET). @param {string} chart @param {number} days */
export const chartCsvUrl = (chart, days) => `${API}/dashboard/${enc(chart)}.csv${qs({ days })}`;
/** @returns {Promise<{ items: { entryId: string, helpful: number, unhelpful: number, lastAt: number }[] }>} */
export const listFeedback = () => as(api("GET", "/insights/feedback"));
/** @returns {Promise<{ items: { id: string, enabled: boolean, loggedIn: boolean | null, qr: string | null, user: string | null }[] }>} */
export const listChannels = () => as(api("GET", "/channels"));

// ------------------------------------------------------------ knowledge

/** @returns {Promise<{ items: T.KnowledgeListItem[] }>} */
export const listKnowledge = () => as(api("GET", "/knowledge"));
/** @param {string} id @returns {Promise<T.KnowledgeEntry>} */
export const getEntry = (id) => as(api("GET", `/knowledge/${enc(id)}`));
/** @param {string} id @param {number} baseVersion @param {T.KnowledgeChanges} changes @returns {Promise<{ id: string, version: number }>} */
export const publishEntry = (id, baseVersion, changes) => as(api("PATCH", `/knowledge/${enc(id)}`, { baseVersion, ...changes }));
/** @param {string} id @param {number} baseVersion @returns {Promise<{ id: string, version: number }>} */
export const markReviewed = (id, baseVersion) => as(api("POST", `/knowledge/${enc(id)}/reviewed`, { baseVersion }));
/** @param {string} id @returns {Promise<{ items: T.KnowledgeVersion[] }>} */
export const listVersions = (id) => as(api("GET", `/knowledge/${enc(id)}/versions`));
/** @param {string} id @param {number} version @returns {Promise<{ id: string, version: number }>} */
export const rollbackEntry = (id, version) => as(api("POST", `/knowledge/${enc(id)}/rollback`, { version }));
/** @returns {Promise<{ items: T.KnowledgeDraft[] }>} */
export const listDrafts = () => as(api("GET", "/knowledge/drafts"));
/** @param {{ title: string, id?: string }} body @returns {Promise<T.KnowledgeDraft>} */
export const startDraft = (body) => as(api("POST", "/knowledge/drafts", body));
/** @param {string} draftId @returns {Promise<T.KnowledgeDraft>} */
export const getDraft = (draftId) => as(api("GET", `/knowledge/drafts/${enc(draftId)}`));
/** @param {string} draftId @param {{ title?: string, id?: string | null, content?: Record<string, unknown> }} body @returns {Promise<T.KnowledgeDraft>} */
export const saveDraft = (draftId, body) => as(api("PUT", `/knowledge/drafts/${enc(draftId)}`, body));
/** @param {string} draftId */
export const deleteDraft = (draftId) => api("DELETE", `/knowledge/drafts/${enc(draftId)}`);
/**
 * Publishes a new entry (validated like a file); the draft it was written in is deleted.
 * @param {Record<string, unknown>} draft the entry's fields @param {string} [draftId]
 * @returns {Promise<{ id: string, version: number }>}
 */
export const createEntry = (draft, draftId) => as(api("POST", "/knowledge", { draft, draftId }));
/**
 * What a resident asking `question` would be answered, with the entry as published or with `changes`.
 * @param {string} id @param {string} question @param {T.KnowledgeChanges} [changes]
 * @returns {Promise<{ replies: T.PreviewReply[] }>}
 */
export const previewEntry = (id, question, changes) => as(api("POST", `/knowledge/${enc(id)}/preview`, { question, changes }));

// ------------------------------------------------------------ broadcasts and deliveries

/** @param {{ text: string, audience: { channel?: string, district?: string }, dryRun?: boolean }} body @returns {Promise<{ id: string | null, recipients: number }>} */
export const sendBroadcast = (body) => as(api("POST", "/broadcasts", body));
/** @returns {Promise<{ items: T.BroadcastProgress[] }>} */
export const listBroadcasts = () => as(api("GET", "/broadcasts?limit=20"));
/** @param {string} id @returns {Promise<T.BroadcastProgress>} */
export const getBroadcast = (id) => as(api("GET", `/broadcasts/${enc(id)}`));
/** @param {string} id */
export const cancelBroadcast = (id) => api("POST", `/broadcasts/${enc(id)}/cancel`, {});
/** @param {string} [status] @returns {Promise<{ items: T.DeliveryItem[] }>} */
export const listDeliveries = (status) => as(api("GET", `/deliveries${qs({ status })}`));
/** @param {string} id */
export const resendDelivery = (id) => api("POST", `/deliveries/${enc(id)}/resend`, {});

// ------------------------------------------------------------ accounts and audit

/** @returns {Promise<{ items: T.StaffUser[] }>} */
export const listUsers = () => as(api("GET", "/users"));
/** @param {{ username: string, password: string, role: string }} body */
export const createUser = (body) => api("POST", "/users", body);
/** @param {string} id @param {{ role?: string, disabled?: boolean, password?: string, unlock?: boolean }} body */
export const updateUser = (id, body) => api("PATCH", `/users/${enc(id)}`, body);
/** @param {{ action?: string, before?: string }} query @returns {Promise<{ items: T.AuditItem[] }>} */
export const listAudit = (query) => as(api("GET", `/audit${qs({ limit: 100, ...query })}`));

// ------------------------------------------------------------ deletion requests (admins)

/** Oldest first. @param {"pending" | "done"} status @returns {Promise<T.DeletionList>} */
export const listDeletionRequests = (status) => as(api("GET", `/deletion-requests${qs({ status })}`));
/**
 * Erases what the service holds about the resident but their submitted applications; audited.
 * @param {string} id @returns {Promise<{ id: string, status: "done", applicationsKept: number }>}
 */
export const completeDeletionRequest = (id) => as(api("POST", `/deletion-requests/${enc(id)}/complete`, {}));
