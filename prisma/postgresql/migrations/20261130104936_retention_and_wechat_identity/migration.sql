-- AlterTable
ALTER TABLE "Resident" ADD COLUMN     "contactKey" TEXT,
ADD COLUMN     "reachable" BOOLEAN NOT NULL DEFAULT true;

-- CreateIndex
CREATE UNIQUE INDEX "Resident_channel_contactKey_key" ON "Resident"("channel", "contactKey");

-- CreateIndex
CREATE INDEX "Application_decidedAt_idx" ON "Application"("decidedAt");

