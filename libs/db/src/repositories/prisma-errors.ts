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

/** The code a model query gets for each cause of a driver adapter error (Prisma's own table, for these causes). */
const MODEL_QUERY_CODES: Readonly<Record<string, string>> = {
  LengthMismatch: 'P2000',
  UniqueConstraintViolation: 'P2002',
  ForeignKeyConstraintViolation: 'P2003',
  InvalidInputValue: 'P2007',
  NullConstraintViolation: 'P2011',
  ValueOutOfRange: 'P2020',
  TransactionWriteConflict: 'P2034',
};

/**
 * A raw statement fails as P2010 ("Raw query failed") whatever the cause, where a model query gets a code per
 * cause and the model's name. This gives a raw write on `model` the error the model query would have had, so
 * mapPrismaError names the model (a ConflictError's `target.model`) and isWriteConflict sees deadlocks.
 */
export function asModelQueryError(error: unknown, model: string): unknown {
  if (!(error instanceof PrismaClientKnownRequestError) || error.code !== 'P2010') return error;
  const kind = driverAdapterCause(error.meta ?? {})?.kind;
  const code = typeof kind === 'string' ? MODEL_QUERY_CODES[kind] : undefined;
  if (!code) return error;
  return new PrismaClientKnownRequestError(error.message, { code, clientVersion: error.clientVersion, meta: { ...error.meta, modelName: model } });
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

interface DriverAdapterCause {
  kind?: unknown;
  constraint?: { fields?: unknown; index?: unknown };
}

function driverAdapterCause(meta: Record<string, unknown>): DriverAdapterCause | undefined {
  return (meta['driverAdapterError'] as { cause?: DriverAdapterCause } | undefined)?.cause;
}

// Prisma 7 with driver adapters reports the constraint under meta.driverAdapterError.cause.constraint, as
// `{ fields }` or `{ index }`; older paths used meta.target.
function constraintFields(meta: Record<string, unknown>): string[] {
  const target = meta['target'];
  if (Array.isArray(target)) return target.map(String);
  const constraint = driverAdapterCause(meta)?.constraint;
  if (Array.isArray(constraint?.fields)) return constraint.fields.map((f) => String(f).replace(/^[`"]|[`"]$/g, ''));
  if (typeof constraint?.index === 'string') return [constraint.index];
  return [];
}

function fieldName(meta: Record<string, unknown>): string {
  const name = meta['field_name'] ?? driverAdapterCause(meta)?.constraint?.index;
  return typeof name === 'string' ? ` (${name})` : '';
}

function columnName(meta: Record<string, unknown>): string {
  const name = meta['column_name'] ?? meta['target'];
  return typeof name === 'string' ? ` (${name})` : '';
}
