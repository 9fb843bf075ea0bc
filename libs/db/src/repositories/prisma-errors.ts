import { PrismaClientKnownRequestError } from '@prisma/client/runtime/client';
import { ConflictError, InvalidDataError, NotFoundError } from '../errors.js';

/**
 * Turns the Prisma errors a caller can act on into the named errors of this layer; anything else is rethrown
 * as it is (a bug or an outage, for the caller's generic handler).
 */
export function mapPrismaError(error: unknown, what?: string): unknown {
  if (!(error instanceof PrismaClientKnownRequestError)) return error;
  const meta = (error.meta ?? {}) as Record<string, unknown>;
  const model = typeof meta['modelName'] === 'string' ? meta['modelName'] : undefined;
  switch (error.code) {
    case 'P2002': {
      const fields = constraintFields(meta);
      const on = fields.length > 0 ? ` (${fields.join(', ')})` : '';
      return new ConflictError(`${what ?? model ?? 'Row'} already exists${on}`, { model, fields }, { cause: error });
    }
    case 'P2003':
      return new NotFoundError(`${what ?? model ?? 'Row'} refers to a row that does not exist${fieldName(meta)}`, model, { cause: error });
    case 'P2025':
      return new NotFoundError(`${what ?? model ?? 'Row'} not found`, model, { cause: error });
    case 'P2000':
      return new InvalidDataError(`A value is too long for its column${columnName(meta)}`, { cause: error });
    case 'P2020':
    case 'P2033':
      return new InvalidDataError(`A value is out of range for its column${columnName(meta)}`, { cause: error });
    default:
      return error;
  }
}

export async function guard<T>(work: () => Promise<T>, what?: string): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw mapPrismaError(error, what);
  }
}

/** A deadlock or serialization failure: the transaction did nothing and may simply run again. */
export function isWriteConflict(error: unknown): boolean {
  return error instanceof PrismaClientKnownRequestError && error.code === 'P2034';
}

export function isRecordNotFound(error: unknown): boolean {
  return error instanceof PrismaClientKnownRequestError && error.code === 'P2025';
}

// Prisma 7 with driver adapters reports the constraint under meta.driverAdapterError.cause.constraint, as
// `{ fields }` or `{ index }`; older paths used meta.target.
function constraintFields(meta: Record<string, unknown>): string[] {
  const target = meta['target'];
  if (Array.isArray(target)) return target.map(String);
  const cause = (meta['driverAdapterError'] as { cause?: { constraint?: { fields?: unknown; index?: unknown } } } | undefined)?.cause;
  const constraint = cause?.constraint;
  if (Array.isArray(constraint?.fields)) return constraint.fields.map((f) => String(f).replace(/^[`"]|[`"]$/g, ''));
  if (typeof constraint?.index === 'string') return [constraint.index];
  return [];
}

function fieldName(meta: Record<string, unknown>): string {
  const name = meta['field_name'] ?? (meta['driverAdapterError'] as { cause?: { constraint?: { fields?: unknown; index?: unknown } } } | undefined)?.cause?.constraint?.index;
  return typeof name === 'string' ? ` (${name})` : '';
}

function columnName(meta: Record<string, unknown>): string {
  const name = meta['column_name'] ?? meta['target'];
  return typeof name === 'string' ? ` (${name})` : '';
}
