import path from 'node:path';
import { DatabaseUnavailableError, UnsupportedDatabaseUrlError } from './errors.js';
import type { DatabaseKind } from './repositories.js';

export const ACCEPTED_URL_FORMS = [
  'postgresql://USER:PASSWORD@HOST:5432/DATABASE (or postgres://)',
  'mysql://USER:PASSWORD@HOST:3306/DATABASE (or mariadb://)',
  'unset or empty: embedded PGlite under <dataDir>/pglite (default .data/pglite)',
  'memory://: embedded PGlite in memory (tests)',
];

export type DatabaseTarget =
  | { kind: 'postgresql'; url: string; host: string; port: number; database: string; password: string }
  | { kind: 'mysql'; url: string; host: string; port: number; database: string; password: string }
  /** `dataDir` undefined means in memory. */
  | { kind: 'pglite'; dataDir: string | undefined };

/** Which backend a DATABASE_URL means. Throws UnsupportedDatabaseUrlError with the accepted forms. */
export function parseDatabaseUrl(url: string | undefined, options: { dataDir?: string } = {}): DatabaseTarget {
  const raw = url?.trim() ?? '';
  if (raw === '') return { kind: 'pglite', dataDir: path.resolve(options.dataDir ?? '.data', 'pglite') };
  if (raw === 'memory://' || raw === 'memory:') return { kind: 'pglite', dataDir: undefined };

  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(raw)?.[1]?.toLowerCase();
  const kind: DatabaseKind | undefined =
    scheme === 'postgresql' || scheme === 'postgres' ? 'postgresql' : scheme === 'mysql' || scheme === 'mariadb' ? 'mysql' : undefined;
  if (!kind) {
    throw new UnsupportedDatabaseUrlError(
      `Unsupported DATABASE_URL scheme ${scheme ? `"${scheme}://"` : '(none)'}. Accepted forms:\n  - ${ACCEPTED_URL_FORMS.join('\n  - ')}`,
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new UnsupportedDatabaseUrlError(`DATABASE_URL is not a valid URL (${scheme}://...). Expected ${ACCEPTED_URL_FORMS[kind === 'mysql' ? 1 : 0]}`);
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database === '') {
    throw new UnsupportedDatabaseUrlError(`DATABASE_URL names no database. Expected ${ACCEPTED_URL_FORMS[kind === 'mysql' ? 1 : 0]}`);
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost';
  const port = parsed.port ? Number(parsed.port) : kind === 'mysql' ? 3306 : 5432;
  const password = decodeURIComponent(parsed.password);
  if (kind === 'mysql') {
    // The MariaDB driver (and so @prisma/adapter-mariadb) only parses the mariadb:// form.
    parsed.protocol = 'mariadb:';
    return { kind, url: parsed.toString(), host, port, database, password };
  }
  return { kind, url: raw, host, port, database, password };
}

/** `host:port/database` for messages: enough to act on, nothing secret. */
export function describeTarget(target: DatabaseTarget): string {
  if (target.kind === 'pglite') return target.dataDir ? `embedded PGlite at ${target.dataDir}` : 'embedded PGlite in memory';
  const name = target.kind === 'mysql' ? 'MySQL/MariaDB' : 'PostgreSQL';
  return `${name} at ${target.host}:${target.port}/${target.database}`;
}

/** Where a DATABASE_URL points, for logs and messages ("PostgreSQL at db:5432/app"); never the password. */
export function describeDatabaseUrl(url: string | undefined, options: { dataDir?: string } = {}): string {
  return describeTarget(parseDatabaseUrl(url, options));
}

/** Removes the password (raw and URL-encoded) from a driver's message before it can reach a log. */
export function redact(text: string, target: DatabaseTarget): string {
  if (target.kind === 'pglite' || target.password === '') return text;
  let out = text;
  for (const secret of new Set([target.password, encodeURIComponent(target.password)])) {
    out = out.split(secret).join('***');
  }
  return out;
}

/** Wraps a failure to connect into an error that names where, says what to do, and carries no secret. */
export function unavailable(target: DatabaseTarget, error: unknown): DatabaseUnavailableError {
  const { code, errno, sqlMessage, message } = (error ?? {}) as { code?: unknown; errno?: unknown; sqlMessage?: unknown; message?: unknown };
  const text = typeof sqlMessage === 'string' && sqlMessage !== '' ? sqlMessage : typeof message === 'string' ? message : String(error);
  const where = describeTarget(target);
  return new DatabaseUnavailableError(`Cannot connect to ${where}: ${redact(text, target)}. ${hint(target, code, errno)}`);
}

function hint(target: DatabaseTarget, code: unknown, errno: unknown): string {
  if (target.kind === 'pglite') return 'Is another process using the same PGlite data directory, or is it not writable?';
  const refusedLogin = (typeof code === 'string' && /^28[0-9A-Z]{3}$/.test(code)) || errno === 1045 || errno === 1044 || errno === 1698;
  if (refusedLogin) return 'Check the user and password in DATABASE_URL.';
  const noDatabase = code === '3D000' || errno === 1049;
  if (noDatabase) return `Create the database first (CREATE DATABASE ${target.database}).`;
  return target.kind === 'postgresql'
    ? 'Is PostgreSQL running there? (on a dev machine: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start)'
    : 'Is MySQL/MariaDB running there? (on a dev machine: start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd)';
}
