-- CreateTable
CREATE TABLE `Benchmark` (
    `id` VARCHAR(36) NOT NULL,
    `status` VARCHAR(16) NOT NULL,
    `apiKeyId` VARCHAR(36) NULL,
    `request` JSON NOT NULL,
    `results` JSON NULL,
    `recommendations` JSON NULL,
    `error` LONGTEXT NULL,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `startedAt` DATETIME(3) NULL,
    `finishedAt` DATETIME(3) NULL,
    `updatedAt` DATETIME(3) NOT NULL,

    INDEX `Benchmark_createdAt_id_idx`(`createdAt`, `id`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
