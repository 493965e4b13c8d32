-- AlterTable
ALTER TABLE "DeletionRequest" ADD COLUMN     "doneAt" BIGINT,
ADD COLUMN     "doneBy" TEXT;

