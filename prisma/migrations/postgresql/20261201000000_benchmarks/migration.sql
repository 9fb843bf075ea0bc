-- CreateTable
CREATE TABLE "Benchmark" (
    "id" VARCHAR(36) NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "apiKeyId" VARCHAR(36),
    "request" JSONB NOT NULL,
    "results" JSONB,
    "recommendations" JSONB,
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Benchmark_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Benchmark_createdAt_id_idx" ON "Benchmark"("createdAt", "id");
