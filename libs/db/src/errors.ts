/**
 * Named errors of the data layer. Callers branch on the class (or on `code`), never on driver messages:
 * the API maps ConflictError to 409, NotFoundError to 404, InvalidCursorError and InvalidDataError to 400.
 * Messages never contain a password or a whole row.
 */
export type DbErrorCode =
  | 'conflict'
  | 'not_found'
  | 'invalid_cursor'
  | 'invalid_data'
  | 'unsupported_url'
  | 'unavailable'
  | 'migration_failed'
  | 'migration_checksum_mismatch';

export abstract class DbError extends Error {
  abstract readonly code: DbErrorCode;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A unique constraint refused the write (an agent name, an API key hash, a conversation's external id). */
export class ConflictError extends DbError {
  readonly code = 'conflict';
  constructor(
    message: string,
    /** The model and fields of the constraint, when the driver tells: `{ model: 'Agent', fields: ['name'] }`. */
    readonly target: { model?: string; fields?: string[] } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The row, or a row it must point at (a conversation for a message), does not exist. */
export class NotFoundError extends DbError {
  readonly code = 'not_found';
  constructor(
    message: string,
    readonly model?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A pagination cursor that this layer did not make (or made for another listing). */
export class InvalidCursorError extends DbError {
  readonly code = 'invalid_cursor';
  constructor() {
    super('Invalid pagination cursor: pass back the nextCursor of a previous page, unchanged');
  }
}

/** A value the column cannot hold (too long, out of range). */
export class InvalidDataError extends DbError {
  readonly code = 'invalid_data';
}

/** DATABASE_URL has a scheme this layer does not speak. */
export class UnsupportedDatabaseUrlError extends DbError {
  readonly code = 'unsupported_url';
}

/** The database server cannot be reached or refused the connection. Names host:port, never the password. */
export class DatabaseUnavailableError extends DbError {
  readonly code = 'unavailable';
}

/** A migration could not be applied, or an earlier one failed and was never resolved. */
export class MigrationError extends DbError {
  readonly code: 'migration_failed' | 'migration_checksum_mismatch' = 'migration_failed';
}

/** An applied migration's file was edited afterwards: the database no longer matches what the file says. */
export class MigrationChecksumError extends MigrationError {
  override readonly code = 'migration_checksum_mismatch';
  constructor(
    readonly migration: string,
    readonly appliedChecksum: string,
    readonly fileChecksum: string,
  ) {
    super(
      `Migration ${migration} was modified after it was applied (checksum in _prisma_migrations ` +
        `${appliedChecksum.slice(0, 12)}..., file ${fileChecksum.slice(0, 12)}...). Applied migrations must never ` +
        `be edited: restore the original file and put the change in a new migration.`,
    );
  }
}
