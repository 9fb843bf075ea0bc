import { z } from 'zod';

/**
 * `/healthz` answers while the process runs; `/readyz` answers 200 only when its dependencies answer too, and
 * otherwise a 503 error body whose `details` name each failed dependency (`path`) and why (`message`).
 */

export const livenessSchema = z.object({ status: z.literal('ok') }).meta({ id: 'Liveness' });
export type Liveness = z.output<typeof livenessSchema>;

/** A dependency that answered, and how long it took. */
export const dependencyCheckSchema = z.object({ latency_ms: z.number() });

export const readinessSchema = z.object({
  status: z.literal('ok'),
  checks: z.record(z.string(), dependencyCheckSchema),
}).meta({ id: 'Readiness' });
export type Readiness = z.output<typeof readinessSchema>;
