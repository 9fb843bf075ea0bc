import { describe, expect, it } from '@jest/globals';
import { PrismaClientKnownRequestError } from '@prisma/client/runtime/client';
import { ConflictError, InvalidDataError, NotFoundError } from '../errors.js';
import { asModelQueryError, isWriteConflict, mapPrismaError } from './prisma-errors.js';

/** What Prisma throws when a raw statement fails: P2010 whatever the cause, the cause under driverAdapterError. */
function rawFailure(cause: Record<string, unknown>): PrismaClientKnownRequestError {
  return new PrismaClientKnownRequestError('Raw query failed. Code: `23505`. Message: `duplicate key`', {
    code: 'P2010',
    clientVersion: '7.10.0',
    meta: { driverAdapterError: { name: 'DriverAdapterError', cause: { originalCode: '23505', ...cause } } },
  });
}

describe('asModelQueryError', () => {
  it("turns a raw unique violation into the model's ConflictError, with the constraint's fields", () => {
    const error = mapPrismaError(asModelQueryError(rawFailure({ kind: 'UniqueConstraintViolation', constraint: { fields: ['"ownerKeyId"', '"externalId"'] } }), 'Conversation'));
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).target).toEqual({ model: 'Conversation', fields: ['ownerKeyId', 'externalId'] });
    expect((error as ConflictError).message).toBe('Conversation already exists (ownerKeyId, externalId)');
  });

  it('keeps deadlocks and write conflicts retryable', () => {
    const raw = rawFailure({ kind: 'TransactionWriteConflict' });
    expect(isWriteConflict(raw)).toBe(false);
    expect(isWriteConflict(asModelQueryError(raw, 'Message'))).toBe(true);
  });

  it('maps missing references and values the column cannot hold like model queries', () => {
    expect(mapPrismaError(asModelQueryError(rawFailure({ kind: 'ForeignKeyConstraintViolation', constraint: { index: 'Message_conversationId_fkey' } }), 'Message'))).toBeInstanceOf(NotFoundError);
    expect(mapPrismaError(asModelQueryError(rawFailure({ kind: 'LengthMismatch', column: 'role' }), 'Message'))).toBeInstanceOf(InvalidDataError);
    expect(mapPrismaError(asModelQueryError(rawFailure({ kind: 'ValueOutOfRange', cause: 'too big' }), 'Run'))).toBeInstanceOf(InvalidDataError);
  });

  it('leaves other errors as they are', () => {
    const unknownCause = rawFailure({ kind: 'postgres', code: 'XX000' });
    expect(asModelQueryError(unknownCause, 'Run')).toBe(unknownCause);
    const other = new Error('connection reset');
    expect(asModelQueryError(other, 'Run')).toBe(other);
    const modelQuery = new PrismaClientKnownRequestError('Unique constraint failed', { code: 'P2002', clientVersion: '7.10.0', meta: { modelName: 'Agent' } });
    expect(asModelQueryError(modelQuery, 'Run')).toBe(modelQuery);
  });
});
