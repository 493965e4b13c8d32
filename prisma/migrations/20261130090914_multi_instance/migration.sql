-- AlterTable
ALTER TABLE "Delivery" ADD COLUMN "handedAt" BIGINT;
ALTER TABLE "Delivery" ADD COLUMN "leaseOwner" TEXT;
ALTER TABLE "Delivery" ADD COLUMN "leaseUntil" BIGINT;

-- CreateTable
CREATE TABLE "Lease" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "owner" TEXT NOT NULL,
    "expiresAt" BIGINT NOT NULL,
    "updatedAt" BIGINT NOT NULL
);

-- CreateTable
CREATE TABLE "Setting" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "value" TEXT NOT NULL,
    "updatedAt" BIGINT NOT NULL
);

-- CreateIndex
CREATE INDEX "Delivery_status_leaseUntil_idx" ON "Delivery"("status", "leaseUntil");

