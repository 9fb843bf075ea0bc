-- CreateIndex
CREATE INDEX "Run_createdAt_idx" ON "Run"("createdAt");
