-- AlterTable
ALTER TABLE "DeletionRequest" ADD COLUMN "doneAt" BIGINT;
ALTER TABLE "DeletionRequest" ADD COLUMN "doneBy" TEXT;

