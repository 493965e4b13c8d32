-- AlterTable
ALTER TABLE "StaffUser" DROP COLUMN "failedLogins",
DROP COLUMN "lockedUntil";

-- CreateTable
CREATE TABLE "RateCounter" (
    "key" TEXT NOT NULL,
    "count" INTEGER NOT NULL,
    "resetAt" BIGINT NOT NULL,
    "updatedAt" BIGINT NOT NULL,

    CONSTRAINT "RateCounter_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "EventStream" (
    "id" TEXT NOT NULL,
    "sessionKey" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "owner" TEXT NOT NULL,
    "expiresAt" BIGINT NOT NULL,

    CONSTRAINT "EventStream_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "RateCounter_resetAt_idx" ON "RateCounter"("resetAt");

-- CreateIndex
CREATE INDEX "EventStream_sessionKey_idx" ON "EventStream"("sessionKey");

-- CreateIndex
CREATE INDEX "EventStream_address_idx" ON "EventStream"("address");

-- CreateIndex
CREATE INDEX "EventStream_expiresAt_idx" ON "EventStream"("expiresAt");

