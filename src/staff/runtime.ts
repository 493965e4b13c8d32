import type { AppContext } from "../context.ts";

/** Wakes the outbox dispatcher so a staff reply goes out now rather than on its next poll. */
export function kickDispatcher(ctx: AppContext): void {
  ctx.dispatcher?.kick();
}

/** WeChat login state for the channel screen; null when the WeChat channel is off. */
export function wechatStatus(ctx: AppContext): { loggedIn: boolean; qr: string | null; user: string | null } | null {
  const status = ctx.wechatStatus?.();
  if (!status) return null;
  // Prefer the rendered image (data: URL) so the console can show a scannable code.
  return { loggedIn: status.loggedIn, qr: status.qrUrl ?? status.qr ?? null, user: status.user ?? null };
}
