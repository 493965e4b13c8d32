/** One row of the staff audit log. */
export interface AuditEntry {
  staffUserId: string | null;
  username: string | null;
  /** What was done, e.g. conversation.view, application.reveal_id, application.decide. */
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  /** Short, non-personal detail (never an ID number or phone in clear). */
  detail?: string | null;
}
