-- AlterTable
ALTER TABLE "Resident" DROP COLUMN "rateCount",
DROP COLUMN "rateWindowStart";

-- AlterTable
ALTER TABLE "Conversation" ADD COLUMN     "rateCount" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "rateWindowStart" BIGINT NOT NULL DEFAULT 0;

