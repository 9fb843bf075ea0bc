import { z } from 'zod';

/** One BullMQ queue's job counts, as `GET /api/queues` reads them from Redis. */
export const queueCountsSchema = z.object({
  name: z.string(),
  waiting: z.number().int(),
  active: z.number().int(),
  delayed: z.number().int(),
  prioritized: z.number().int(),
  failed: z.number().int(),
  completed: z.number().int(),
});
export type QueueCountsDto = z.output<typeof queueCountsSchema>;

export const queueOverviewSchema = z
  .object({
    queues: z.array(queueCountsSchema),
    /** Runs a gateway runs itself (inline, under a lease): they are not BullMQ jobs while they run. */
    inline_runs: z.number().int(),
    /** Runs being worked on now: the `runs` queue's active jobs plus the inline runs. */
    active_runs: z.number().int(),
  })
  .meta({ id: 'QueueOverview' });
export type QueueOverviewDto = z.output<typeof queueOverviewSchema>;
