-- Hand-written: Prisma's schema language cannot say WHERE, so the model keeps
-- @@unique([residentId, channelMessageId]) and this migration makes that index partial.
-- Only inbound messages with a channel message id need an entry (to answer a redelivered
-- message once); bot replies, half of all rows, have none and no longer write to the index.
-- A later migration that recreates the Message table must keep the WHERE (tests/db-indexes).
DROP INDEX "Message_residentId_channelMessageId_key";
CREATE UNIQUE INDEX "Message_residentId_channelMessageId_key" ON "Message"("residentId", "channelMessageId") WHERE "channelMessageId" IS NOT NULL;
