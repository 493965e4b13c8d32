import type { Database } from "./db.ts";
import { isUniqueViolation } from "./db.ts";

/**
 * What a channel adapter records about a resident outside a chat turn: whether the channel can
 * start a conversation with them, and (WeChat) the key written into their contact's remark.
 */
export class ResidentRepo {
  constructor(private readonly db: Database) {}

  /** Sets `reachable`; writes only when it changes (most messages change nothing). */
  async setReachable(channel: string, userId: string, reachable: boolean): Promise<void> {
    await this.db.k
      .updateTable("Resident")
      .set({ reachable })
      .where("channel", "=", channel)
      .where("channelUserId", "=", userId)
      .where("reachable", "<>", reachable)
      .execute();
  }

  /** The resident (their channelUserId) whose contact carries `key`, if any. */
  async byContactKey(channel: string, key: string): Promise<string | null> {
    const row = await this.db.k
      .selectFrom("Resident")
      .select("channelUserId")
      .where("channel", "=", channel)
      .where("contactKey", "=", key)
      .executeTakeFirst();
    return row?.channelUserId ?? null;
  }

  async contactKeyOf(channel: string, userId: string): Promise<string | null> {
    const row = await this.db.k
      .selectFrom("Resident")
      .select("contactKey")
      .where("channel", "=", channel)
      .where("channelUserId", "=", userId)
      .executeTakeFirst();
    return row?.contactKey ?? null;
  }

  /**
   * The resident's contact key: the one they have, else `proposed` (else a fresh one from
   * `generate` when another resident has it). Null when the resident does not exist.
   */
  async ensureContactKey(channel: string, userId: string, proposed: string, generate: () => string): Promise<string | null> {
    let candidate = proposed;
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await this.db.k
          .updateTable("Resident")
          .set({ contactKey: candidate })
          .where("channel", "=", channel)
          .where("channelUserId", "=", userId)
          .where("contactKey", "is", null)
          .execute();
        return this.contactKeyOf(channel, userId);
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        candidate = generate();
      }
    }
    throw new Error("could not find a free contact key");
  }
}
