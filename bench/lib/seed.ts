import Database from "better-sqlite3";
import { migrateSqlite } from "../../src/data/migrate.ts";

const DISTRICTS = ["海曙区", "江北区", "鄞州区", "镇海区", "北仑区", "奉化区", "余姚市", "慈溪市", "宁海县", "象山县"];
const districtCase = `CASE n % ${DISTRICTS.length} ${DISTRICTS.map((d, i) => `WHEN ${i} THEN '${d}'`).join(" ")} END`;

export interface SeedCounts {
  residents: number;
  permits: number;
  seconds: number;
}

/**
 * Fills a fresh database with `residents` api-channel residents (each with a conversation and
 * consent given; 1 in 20 declines notices, 1 in 50 opted out of reminders) and `permits` residence
 * permits linked to them, with due dates spread from 30 days overdue to a year ahead of `today`.
 * One INSERT … SELECT over a recursive sequence per table: about a million rows a few seconds.
 */
export function seedBulk(path: string, residents: number, permits: number, today: string, now: number): SeedCounts {
  const started = performance.now();
  const db = new Database(path);
  try {
    db.pragma("journal_mode = WAL");
    // A throwaway benchmark database: durability is not needed while seeding.
    db.pragma("synchronous = OFF");
    db.pragma("cache_size = -262144");
    migrateSqlite(db);
    const seq = `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < @count)`;
    db.transaction(() => {
      db.prepare(
        `${seq}
         INSERT INTO "Resident" (id, channel, channelUserId, displayName, consentAt, consentVersion, acceptsNotices,
                                 remindersOptOut, district, createdAt, lastSeenAt)
         SELECT printf('r%08d', n), 'api', printf('u%08d', n), NULL, @now, 'bench', (n % 20) <> 0, (n % 50) = 0,
                ${districtCase}, @now, @now
         FROM seq`,
      ).run({ count: residents, now });
      db.prepare(
        `${seq}
         INSERT INTO "Conversation" (id, residentId, status, state, version, createdAt, updatedAt, lastMessageAt)
         SELECT printf('c%08d', n), printf('r%08d', n), 'bot', '{}', 0, @now, @now, @now FROM seq`,
      ).run({ count: residents, now });
      // Due dates: a multiplicative hash spreads them evenly over 395 days without clustering by id.
      db.prepare(
        `${seq}
         INSERT INTO "Permit" (id, permitNumber, holderName, channel, channelUserId, residentId, idNumberHash, endorseBy,
                               createdAt, updatedAt)
         SELECT printf('p%08d', n), printf('NB%010d', n), '居民' || n, 'api', printf('u%08d', ((n - 1) % @residents) + 1),
                printf('r%08d', ((n - 1) % @residents) + 1), NULL,
                date(@today, printf('%+d days', (n * 7919) % 395 - 30)), @now, @now
         FROM seq`,
      ).run({ count: permits, residents, today, now });
    })();
    db.pragma("wal_checkpoint(TRUNCATE)");
  } finally {
    db.close();
  }
  return { residents, permits, seconds: (performance.now() - started) / 1000 };
}
