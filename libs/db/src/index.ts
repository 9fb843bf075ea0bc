/**
 * @switchboard/db: the data layer. `openDatabase(DATABASE_URL)` picks PostgreSQL, MySQL/MariaDB or embedded
 * PGlite, applies migrations and returns the repositories; nothing else in the platform touches Prisma.
 */
export { openDatabase, type OpenDatabaseOptions } from './open-database.js';
export { migrate, findMigrationsRoot, type MigrateOptions, type MigrationResult } from './migrate.js';
export { describeDatabaseUrl, ACCEPTED_URL_FORMS } from './database-url.js';
export { newId } from './ids.js';
export { AgentDirectory, agentFromRow } from './agent-directory.js';
export type { DirectoryLogger } from './live-directory.js';
export { PipelineDirectory, pipelineFromRow } from './pipeline-directory.js';
export { currentPeriodStart } from './repositories/mappers.js';
export { MAX_PAGE_SIZE } from './repositories/pagination.js';
export * from './errors.js';
export type * from './entities.js';
export type * from './repositories.js';
