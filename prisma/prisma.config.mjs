// Prisma CLI configuration. Switchboard uses the CLI only to generate its clients (scripts/prisma-generate.mjs);
// migrations are applied by libs/db's own runner, and at run time the database is picked from DATABASE_URL
// through driver adapters. The datasource below only serves people who run other CLI commands by hand against
// a PostgreSQL URL, e.g. `DATABASE_URL=postgresql://... npx prisma studio --config prisma/prisma.config.mjs`.
// (A .mjs rather than .ts file: the Prisma CLI loads either, and this one needs no TypeScript project.)
import { defineConfig } from 'prisma/config';

const url = process.env.DATABASE_URL;

export default defineConfig({
  schema: 'schema.prisma',
  migrations: { path: 'migrations/postgresql' },
  ...(url ? { datasource: { url } } : {}),
});
