-- CreateTable
CREATE TABLE "ApiKey" (
    "id" VARCHAR(36) NOT NULL,
    "name" VARCHAR(191) NOT NULL,
    "prefix" VARCHAR(32) NOT NULL,
    "hash" VARCHAR(128) NOT NULL,
    "role" VARCHAR(16) NOT NULL,
    "rateLimitPerMinute" INTEGER,
    "budgetTokens" BIGINT,
    "budgetCost" DECIMAL(20,10),
    "budgetPeriod" VARCHAR(8),
    "spentTokens" BIGINT NOT NULL DEFAULT 0,
    "spentCost" DECIMAL(20,10) NOT NULL DEFAULT 0,
    "periodStartedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "ApiKey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Agent" (
    "id" VARCHAR(36) NOT NULL,
    "name" VARCHAR(191) NOT NULL,
    "description" TEXT NOT NULL,
    "model" VARCHAR(191) NOT NULL,
    "systemPrompt" TEXT NOT NULL,
    "tools" JSONB NOT NULL,
    "budgets" JSONB,
    "onBudgetExceeded" VARCHAR(16) NOT NULL,
    "source" VARCHAR(16) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Agent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Conversation" (
    "id" VARCHAR(36) NOT NULL,
    "ownerKeyId" VARCHAR(36),
    "agentId" VARCHAR(36),
    "externalId" VARCHAR(191),
    "title" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Conversation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Message" (
    "id" VARCHAR(36) NOT NULL,
    "conversationId" VARCHAR(36) NOT NULL,
    "role" VARCHAR(16) NOT NULL,
    "content" TEXT NOT NULL,
    "toolCalls" JSONB,
    "toolCallId" VARCHAR(191),
    "runId" VARCHAR(36),
    "promptTokens" INTEGER,
    "completionTokens" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Message_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Run" (
    "id" VARCHAR(36) NOT NULL,
    "conversationId" VARCHAR(36),
    "agentId" VARCHAR(36),
    "apiKeyId" VARCHAR(36),
    "status" VARCHAR(16) NOT NULL,
    "mode" VARCHAR(16) NOT NULL,
    "requestedModel" VARCHAR(191) NOT NULL,
    "provider" VARCHAR(191),
    "providerModel" VARCHAR(191),
    "attempt" INTEGER NOT NULL DEFAULT 0,
    "heartbeatAt" TIMESTAMP(3),
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "promptTokens" INTEGER NOT NULL DEFAULT 0,
    "completionTokens" INTEGER NOT NULL DEFAULT 0,
    "cost" DECIMAL(20,10) NOT NULL DEFAULT 0,
    "finishReason" VARCHAR(32),
    "error" TEXT,
    "output" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Run_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ProviderCall" (
    "id" VARCHAR(36) NOT NULL,
    "runId" VARCHAR(36) NOT NULL,
    "provider" VARCHAR(191) NOT NULL,
    "model" VARCHAR(191) NOT NULL,
    "latencyMs" INTEGER NOT NULL,
    "ttftMs" INTEGER,
    "promptTokens" INTEGER NOT NULL DEFAULT 0,
    "completionTokens" INTEGER NOT NULL DEFAULT 0,
    "outcome" VARCHAR(16) NOT NULL,
    "error" TEXT,
    "cached" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ProviderCall_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ApiKey_hash_key" ON "ApiKey"("hash");

-- CreateIndex
CREATE UNIQUE INDEX "Agent_name_key" ON "Agent"("name");

-- CreateIndex
CREATE INDEX "Conversation_ownerKeyId_updatedAt_id_idx" ON "Conversation"("ownerKeyId", "updatedAt", "id");

-- CreateIndex
CREATE INDEX "Conversation_agentId_idx" ON "Conversation"("agentId");

-- CreateIndex
CREATE UNIQUE INDEX "Conversation_ownerKeyId_externalId_key" ON "Conversation"("ownerKeyId", "externalId");

-- CreateIndex
CREATE INDEX "Message_conversationId_createdAt_id_idx" ON "Message"("conversationId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Run_status_heartbeatAt_idx" ON "Run"("status", "heartbeatAt");

-- CreateIndex
CREATE INDEX "Run_conversationId_createdAt_idx" ON "Run"("conversationId", "createdAt");

-- CreateIndex
CREATE INDEX "Run_apiKeyId_createdAt_idx" ON "Run"("apiKeyId", "createdAt");

-- CreateIndex
CREATE INDEX "Run_agentId_idx" ON "Run"("agentId");

-- CreateIndex
CREATE INDEX "ProviderCall_runId_idx" ON "ProviderCall"("runId");

-- AddForeignKey
ALTER TABLE "Conversation" ADD CONSTRAINT "Conversation_ownerKeyId_fkey" FOREIGN KEY ("ownerKeyId") REFERENCES "ApiKey"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Conversation" ADD CONSTRAINT "Conversation_agentId_fkey" FOREIGN KEY ("agentId") REFERENCES "Agent"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Message" ADD CONSTRAINT "Message_conversationId_fkey" FOREIGN KEY ("conversationId") REFERENCES "Conversation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Run" ADD CONSTRAINT "Run_conversationId_fkey" FOREIGN KEY ("conversationId") REFERENCES "Conversation"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Run" ADD CONSTRAINT "Run_agentId_fkey" FOREIGN KEY ("agentId") REFERENCES "Agent"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Run" ADD CONSTRAINT "Run_apiKeyId_fkey" FOREIGN KEY ("apiKeyId") REFERENCES "ApiKey"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProviderCall" ADD CONSTRAINT "ProviderCall_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;
