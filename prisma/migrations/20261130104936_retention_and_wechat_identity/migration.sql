-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Resident" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "channel" TEXT NOT NULL,
    "channelUserId" TEXT NOT NULL,
    "displayName" TEXT,
    "consentAt" BIGINT,
    "consentVersion" TEXT,
    "consentWithdrawnAt" BIGINT,
    "acceptsNotices" BOOLEAN NOT NULL DEFAULT true,
    "remindersOptOut" BOOLEAN NOT NULL DEFAULT false,
    "district" TEXT,
    "rateWindowStart" BIGINT NOT NULL DEFAULT 0,
    "rateCount" INTEGER NOT NULL DEFAULT 0,
    "createdAt" BIGINT NOT NULL,
    "lastSeenAt" BIGINT NOT NULL,
    "reachable" BOOLEAN NOT NULL DEFAULT true,
    "contactKey" TEXT
);
INSERT INTO "new_Resident" ("acceptsNotices", "channel", "channelUserId", "consentAt", "consentVersion", "consentWithdrawnAt", "createdAt", "displayName", "district", "id", "lastSeenAt", "rateCount", "rateWindowStart", "remindersOptOut") SELECT "acceptsNotices", "channel", "channelUserId", "consentAt", "consentVersion", "consentWithdrawnAt", "createdAt", "displayName", "district", "id", "lastSeenAt", "rateCount", "rateWindowStart", "remindersOptOut" FROM "Resident";
DROP TABLE "Resident";
ALTER TABLE "new_Resident" RENAME TO "Resident";
CREATE INDEX "Resident_district_idx" ON "Resident"("district");
CREATE UNIQUE INDEX "Resident_channel_channelUserId_key" ON "Resident"("channel", "channelUserId");
CREATE UNIQUE INDEX "Resident_channel_contactKey_key" ON "Resident"("channel", "contactKey");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "Application_decidedAt_idx" ON "Application"("decidedAt");

