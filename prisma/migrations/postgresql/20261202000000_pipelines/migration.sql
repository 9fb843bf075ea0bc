-- CreateTable
CREATE TABLE "Pipeline" (
    "id" VARCHAR(36) NOT NULL,
    "name" VARCHAR(191) NOT NULL,
    "description" TEXT NOT NULL,
    "stages" JSONB NOT NULL,
    "createdBy" VARCHAR(36),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Pipeline_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Pipeline_name_key" ON "Pipeline"("name");
