import { z } from 'zod';

/** The payload of a `model.download` job: a manifest model to fetch into models.dir. */
export const modelDownloadJobSchema = z.object({
  /** The manifest name. */
  model: z.string().min(1),
  /** Download again even if the file is there. */
  force: z.boolean().default(false),
  /** Who asked (API key id), for the logs; null for config keys and open installs. */
  requestedBy: z.string().nullable().default(null),
});
export type ModelDownloadJob = z.output<typeof modelDownloadJobSchema>;

/** The payload of a `benchmark.run` job: the Benchmark row it fills in (the row holds the request). */
export const benchmarkJobSchema = z.object({ benchmarkId: z.string().min(1) });
export type BenchmarkJob = z.output<typeof benchmarkJobSchema>;
