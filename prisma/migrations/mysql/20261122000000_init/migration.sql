-- Tables use utf8mb4 (emoji and every other code point) with the binary collation, so that names, external
-- ids and hashes compare exactly as they do on PostgreSQL (case-sensitive). Large text is LONGTEXT: MySQL TEXT
-- stops at 64 KB.

-- CreateTable
CREATE TABLE `ApiKey` (
    `id` VARCHAR(36) NOT NULL,
    `name` VARCHAR(191) NOT NULL,
    `prefix` VARCHAR(32) NOT NULL,
    `hash` VARCHAR(128) NOT NULL,
    `role` VARCHAR(16) NOT NULL,
    `rateLimitPerMinute` INTEGER NULL,
    `budgetTokens` BIGINT NULL,
    `budgetCost` DECIMAL(20, 10) NULL,
    `budgetPeriod` VARCHAR(8) NULL,
    `spentTokens` BIGINT NOT NULL DEFAULT 0,
    `spentCost` DECIMAL(20, 10) NOT NULL DEFAULT 0,
    `periodStartedAt` DATETIME(3) NULL,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `lastUsedAt` DATETIME(3) NULL,
    `revokedAt` DATETIME(3) NULL,

    UNIQUE INDEX `ApiKey_hash_key`(`hash`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- CreateTable
CREATE TABLE `Agent` (
    `id` VARCHAR(36) NOT NULL,
    `name` VARCHAR(191) NOT NULL,
    `description` LONGTEXT NOT NULL,
    `model` VARCHAR(191) NOT NULL,
    `systemPrompt` LONGTEXT NOT NULL,
    `tools` JSON NOT NULL,
    `budgets` JSON NULL,
    `onBudgetExceeded` VARCHAR(16) NOT NULL,
    `source` VARCHAR(16) NOT NULL,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `updatedAt` DATETIME(3) NOT NULL,

    UNIQUE INDEX `Agent_name_key`(`name`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- CreateTable
CREATE TABLE `Conversation` (
    `id` VARCHAR(36) NOT NULL,
    `ownerKeyId` VARCHAR(36) NULL,
    `agentId` VARCHAR(36) NULL,
    `externalId` VARCHAR(191) NULL,
    `title` LONGTEXT NOT NULL,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `updatedAt` DATETIME(3) NOT NULL,

    INDEX `Conversation_ownerKeyId_updatedAt_id_idx`(`ownerKeyId`, `updatedAt`, `id`),
    INDEX `Conversation_agentId_idx`(`agentId`),
    UNIQUE INDEX `Conversation_ownerKeyId_externalId_key`(`ownerKeyId`, `externalId`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- CreateTable
CREATE TABLE `Message` (
    `id` VARCHAR(36) NOT NULL,
    `conversationId` VARCHAR(36) NOT NULL,
    `role` VARCHAR(16) NOT NULL,
    `content` LONGTEXT NOT NULL,
    `toolCalls` JSON NULL,
    `toolCallId` VARCHAR(191) NULL,
    `runId` VARCHAR(36) NULL,
    `promptTokens` INTEGER NULL,
    `completionTokens` INTEGER NULL,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    INDEX `Message_conversationId_createdAt_id_idx`(`conversationId`, `createdAt`, `id`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- CreateTable
CREATE TABLE `Run` (
    `id` VARCHAR(36) NOT NULL,
    `conversationId` VARCHAR(36) NULL,
    `agentId` VARCHAR(36) NULL,
    `apiKeyId` VARCHAR(36) NULL,
    `status` VARCHAR(16) NOT NULL,
    `mode` VARCHAR(16) NOT NULL,
    `requestedModel` VARCHAR(191) NOT NULL,
    `provider` VARCHAR(191) NULL,
    `providerModel` VARCHAR(191) NULL,
    `attempt` INTEGER NOT NULL DEFAULT 0,
    `heartbeatAt` DATETIME(3) NULL,
    `startedAt` DATETIME(3) NULL,
    `finishedAt` DATETIME(3) NULL,
    `promptTokens` INTEGER NOT NULL DEFAULT 0,
    `completionTokens` INTEGER NOT NULL DEFAULT 0,
    `cost` DECIMAL(20, 10) NOT NULL DEFAULT 0,
    `finishReason` VARCHAR(32) NULL,
    `error` LONGTEXT NULL,
    `output` JSON NULL,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `updatedAt` DATETIME(3) NOT NULL,

    INDEX `Run_status_heartbeatAt_idx`(`status`, `heartbeatAt`),
    INDEX `Run_conversationId_createdAt_idx`(`conversationId`, `createdAt`),
    INDEX `Run_apiKeyId_createdAt_idx`(`apiKeyId`, `createdAt`),
    INDEX `Run_agentId_idx`(`agentId`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- CreateTable
CREATE TABLE `ProviderCall` (
    `id` VARCHAR(36) NOT NULL,
    `runId` VARCHAR(36) NOT NULL,
    `provider` VARCHAR(191) NOT NULL,
    `model` VARCHAR(191) NOT NULL,
    `latencyMs` INTEGER NOT NULL,
    `ttftMs` INTEGER NULL,
    `promptTokens` INTEGER NOT NULL DEFAULT 0,
    `completionTokens` INTEGER NOT NULL DEFAULT 0,
    `outcome` VARCHAR(16) NOT NULL,
    `error` LONGTEXT NULL,
    `cached` BOOLEAN NOT NULL DEFAULT false,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    INDEX `ProviderCall_runId_idx`(`runId`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- AddForeignKey
ALTER TABLE `Conversation` ADD CONSTRAINT `Conversation_ownerKeyId_fkey` FOREIGN KEY (`ownerKeyId`) REFERENCES `ApiKey`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `Conversation` ADD CONSTRAINT `Conversation_agentId_fkey` FOREIGN KEY (`agentId`) REFERENCES `Agent`(`id`) ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `Message` ADD CONSTRAINT `Message_conversationId_fkey` FOREIGN KEY (`conversationId`) REFERENCES `Conversation`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `Run` ADD CONSTRAINT `Run_conversationId_fkey` FOREIGN KEY (`conversationId`) REFERENCES `Conversation`(`id`) ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `Run` ADD CONSTRAINT `Run_agentId_fkey` FOREIGN KEY (`agentId`) REFERENCES `Agent`(`id`) ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `Run` ADD CONSTRAINT `Run_apiKeyId_fkey` FOREIGN KEY (`apiKeyId`) REFERENCES `ApiKey`(`id`) ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `ProviderCall` ADD CONSTRAINT `ProviderCall_runId_fkey` FOREIGN KEY (`runId`) REFERENCES `Run`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;
