-- AlterTable
ALTER TABLE "UnansweredQuestion" ADD COLUMN     "handledAt" BIGINT,
ADD COLUMN     "handledBy" TEXT,
ADD COLUMN     "handledEntryId" TEXT,
ADD COLUMN     "handledHow" TEXT;

-- CreateTable
CREATE TABLE "UnansweredAsk" (
    "id" SERIAL NOT NULL,
    "questionId" TEXT NOT NULL,
    "askedAt" BIGINT NOT NULL,

    CONSTRAINT "UnansweredAsk_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Handoff" (
    "id" TEXT NOT NULL,
    "conversationId" TEXT NOT NULL,
    "reason" TEXT,
    "escalatedAt" BIGINT NOT NULL,
    "claimedAt" BIGINT,
    "claimedBy" TEXT,

    CONSTRAINT "Handoff_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "KnowledgeEntry" (
    "id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "content" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "fileHash" TEXT,
    "updatedAt" BIGINT NOT NULL,
    "updatedBy" TEXT,

    CONSTRAINT "KnowledgeEntry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "KnowledgeVersion" (
    "seq" SERIAL NOT NULL,
    "entryId" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "content" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "changes" TEXT NOT NULL,
    "staffUserId" TEXT,
    "username" TEXT,
    "createdAt" BIGINT NOT NULL,

    CONSTRAINT "KnowledgeVersion_pkey" PRIMARY KEY ("seq")
);

-- CreateTable
CREATE TABLE "KnowledgeDraft" (
    "id" TEXT NOT NULL,
    "entryId" TEXT,
    "title" TEXT NOT NULL,
    "content" TEXT NOT NULL,
    "fromQuestionId" TEXT,
    "createdBy" TEXT,
    "createdAt" BIGINT NOT NULL,
    "updatedAt" BIGINT NOT NULL,

    CONSTRAINT "KnowledgeDraft_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "UnansweredAsk_questionId_askedAt_idx" ON "UnansweredAsk"("questionId", "askedAt");

-- CreateIndex
CREATE INDEX "UnansweredAsk_askedAt_idx" ON "UnansweredAsk"("askedAt");

-- CreateIndex
CREATE INDEX "Handoff_escalatedAt_idx" ON "Handoff"("escalatedAt");

-- CreateIndex
CREATE INDEX "Handoff_conversationId_claimedAt_idx" ON "Handoff"("conversationId", "claimedAt");

-- CreateIndex
CREATE UNIQUE INDEX "KnowledgeVersion_entryId_version_key" ON "KnowledgeVersion"("entryId", "version");

-- CreateIndex
CREATE INDEX "KnowledgeDraft_updatedAt_idx" ON "KnowledgeDraft"("updatedAt");

-- CreateIndex
CREATE INDEX "Delivery_kind_sentAt_idx" ON "Delivery"("kind", "sentAt");

-- AddForeignKey
ALTER TABLE "UnansweredAsk" ADD CONSTRAINT "UnansweredAsk_questionId_fkey" FOREIGN KEY ("questionId") REFERENCES "UnansweredQuestion"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Handoff" ADD CONSTRAINT "Handoff_conversationId_fkey" FOREIGN KEY ("conversationId") REFERENCES "Conversation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

