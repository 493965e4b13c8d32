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
    "createdAt" BIGINT NOT NULL,
    "lastSeenAt" BIGINT NOT NULL,
    "reachable" BOOLEAN NOT NULL DEFAULT true,
    "contactKey" TEXT
);
INSERT INTO "new_Resident" ("acceptsNotices", "channel", "channelUserId", "consentAt", "consentVersion", "consentWithdrawnAt", "contactKey", "createdAt", "displayName", "district", "id", "lastSeenAt", "reachable", "remindersOptOut") SELECT "acceptsNotices", "channel", "channelUserId", "consentAt", "consentVersion", "consentWithdrawnAt", "contactKey", "createdAt", "displayName", "district", "id", "lastSeenAt", "reachable", "remindersOptOut" FROM "Resident";
DROP TABLE "Resident";
ALTER TABLE "new_Resident" RENAME TO "Resident";
CREATE INDEX "Resident_district_idx" ON "Resident"("district");
CREATE UNIQUE INDEX "Resident_channel_channelUserId_key" ON "Resident"("channel", "channelUserId");
CREATE UNIQUE INDEX "Resident_channel_contactKey_key" ON "Resident"("channel", "contactKey");
CREATE TABLE "new_Conversation" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "residentId" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'bot',
    "state" TEXT NOT NULL DEFAULT '{}',
    "version" INTEGER NOT NULL DEFAULT 0,
    "escalatedAt" BIGINT,
    "escalationReason" TEXT,
    "claimedBy" TEXT,
    "lastHoldingAt" BIGINT,
    "rateWindowStart" BIGINT NOT NULL DEFAULT 0,
    "rateCount" INTEGER NOT NULL DEFAULT 0,
    "createdAt" BIGINT NOT NULL,
    "updatedAt" BIGINT NOT NULL,
    "lastMessageAt" BIGINT NOT NULL,
    CONSTRAINT "Conversation_residentId_fkey" FOREIGN KEY ("residentId") REFERENCES "Resident" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_Conversation" ("claimedBy", "createdAt", "escalatedAt", "escalationReason", "id", "lastHoldingAt", "lastMessageAt", "residentId", "state", "status", "updatedAt", "version") SELECT "claimedBy", "createdAt", "escalatedAt", "escalationReason", "id", "lastHoldingAt", "lastMessageAt", "residentId", "state", "status", "updatedAt", "version" FROM "Conversation";
DROP TABLE "Conversation";
ALTER TABLE "new_Conversation" RENAME TO "Conversation";
CREATE UNIQUE INDEX "Conversation_residentId_key" ON "Conversation"("residentId");
CREATE INDEX "Conversation_status_escalatedAt_idx" ON "Conversation"("status", "escalatedAt");
CREATE INDEX "Conversation_lastMessageAt_idx" ON "Conversation"("lastMessageAt");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

