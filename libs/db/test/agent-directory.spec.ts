import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { agentConfigSchema } from '@switchboard/contracts';
import { waitFor } from '@switchboard/testing';
import { AgentDirectory, type Database, openDatabase } from '../src/index.js';

/** The agents runs use: config overlaid by the database's, on embedded PGlite. */
describe('AgentDirectory', () => {
  let db: Database;
  const warnings: string[] = [];
  const logger = { warn: (_o: object, msg: string) => void warnings.push(msg) };
  const configured = [agentConfigSchema.parse({ name: 'helper', model: 'auto', system_prompt: 'From the file.' })];

  beforeAll(async () => {
    db = await openDatabase('memory://');
  });
  afterAll(async () => {
    await db.close();
  });

  it('serves the config agents, overlaid by database rows, and drops rows the schema rejects', async () => {
    await db.agents.create({ name: 'helper', description: '', model: 'auto', systemPrompt: 'Edited.', tools: [], budgets: null, onBudgetExceeded: 'stop', source: 'config' });
    await db.agents.create({ name: 'made', description: 'x', model: 'p/m', systemPrompt: '', tools: ['calculator'], budgets: null, onBudgetExceeded: 'background', source: 'api' });
    await db.agents.create({ name: 'broken', description: '', model: 'p/m', systemPrompt: '', tools: ['rm_rf'], budgets: null, onBudgetExceeded: 'background', source: 'api' });
    const directory = new AgentDirectory(db.agents, configured, logger, 50);
    const seen: string[][] = [];
    await directory.start((agents) => seen.push(agents.map((a) => a.name)));
    try {
      expect(directory.current.map((a) => [a.name, a.system_prompt, a.on_budget_exceeded])).toEqual([
        ['helper', 'Edited.', 'stop'],
        ['made', '', 'background'],
      ]);
      expect(directory.current[1]!.budgets.sync.max_iterations).toBe(5);
      expect(warnings).toContain('skipping an agent the schema rejects');

      // A change is picked up on a later refresh (every 50 ms), and reported once.
      const made = (await db.agents.getByName('made'))!;
      await db.agents.delete(made.id);
      await waitFor(() => directory.current.length === 1, 'the refresh after the delete');
      expect(directory.current.map((a) => a.name)).toEqual(['helper']);
      // Some more refreshes find nothing new: no second report (a pause that can only make this check weaker, never fail it wrongly).
      await new Promise((r) => setTimeout(r, 150));
      expect(seen).toEqual([['helper', 'made'], ['helper']]);
    } finally {
      directory.close();
    }
  });

  it('keeps the last known agents when the database cannot be read', async () => {
    const gone = await openDatabase('memory://');
    const directory = new AgentDirectory(gone.agents, configured, logger, 50);
    await gone.close();
    await directory.start(() => undefined);
    directory.close();
    expect(directory.current.map((a) => a.name)).toEqual(['helper']);
    expect(warnings).toContain('could not read agents from the database; keeping the last known ones');
  });
});
