import type { AgentDto } from '@switchboard/contracts';
import { type FormEvent, useState } from 'react';
import { errorMessage } from '../api/errors';
import { useAgentMutations, useAgents } from '../data/use-agents';
import styles from './console.module.css';
import { fieldErrors } from './field-errors';
import { TryAgent } from './TryAgent';

/** The API's own rules for the fields it checks first (libs/contracts agentConfigSchema), so a slip shows before a round trip. */
const AGENT_NAME = /^[a-z0-9][a-z0-9._-]*$/;
const TOOLS = ['current_time', 'calculator', 'http_fetch', 'web_search', 'call_agent'] as const;

/** Agents: list, create, edit, delete, and try the selected one in a chat beside the form. */
export default function AgentsPage() {
  const agents = useAgents();
  const { create, update, remove } = useAgentMutations();
  const [selected, setSelected] = useState<string | null>(null);
  const current = agents.data?.find((a) => a.id === selected) ?? null;

  return (
    <section className={styles.page} aria-label="Agents">
      <h1>Agents</h1>
      {agents.error && <p role="alert" className={styles.error}>{errorMessage(agents.error)}</p>}
      {remove.error && <p role="alert" className={styles.error}>{errorMessage(remove.error)}</p>}
      <table className={styles.table} aria-label="Agent list">
        <thead>
          <tr>
            <th>Name</th>
            <th>Model</th>
            <th>Tools</th>
            <th>Source</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {agents.data?.map((a) => (
            <tr key={a.id} aria-label={`Agent ${a.name}`}>
              <td>{a.name}</td>
              <td>{a.model}</td>
              <td>{a.tools.join(', ') || '—'}</td>
              <td>{a.source}</td>
              <td className={styles.actions}>
                <button type="button" onClick={() => setSelected(a.id)}>Edit</button>
                <button
                  type="button"
                  onClick={() => {
                    if (!window.confirm(`Delete agent ${a.name}?`)) return;
                    if (selected === a.id) setSelected(null);
                    remove.mutate(a.id);
                  }}
                >
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <button type="button" onClick={() => setSelected(null)} disabled={selected === null}>New agent</button>
      <div className={styles.split}>
        <AgentForm
          key={current?.id ?? 'new'}
          initial={current}
          error={current ? update.error : create.error}
          onSubmit={async (body) => {
            if (current) await update.mutateAsync({ id: current.id, body });
            else setSelected((await create.mutateAsync(body)).id);
          }}
          onReset={() => { create.reset(); update.reset(); }}
        />
        {current && <TryAgent key={current.id} agent={current.name} />}
      </div>
    </section>
  );
}

interface AgentFormProps {
  initial: AgentDto | null;
  error: unknown;
  onSubmit(body: Record<string, unknown>): Promise<void>;
  onReset(): void;
}

function AgentForm({ initial, error, onSubmit, onReset }: AgentFormProps) {
  const [name, setName] = useState(initial?.name ?? '');
  const [description, setDescription] = useState(initial?.description ?? '');
  const [model, setModel] = useState(initial?.model ?? 'auto');
  const [systemPrompt, setSystemPrompt] = useState(initial?.system_prompt ?? '');
  const [tools, setTools] = useState<string[]>(initial?.tools ?? []);
  const [onBudget, setOnBudget] = useState(initial?.on_budget_exceeded ?? 'background');
  const [syncIterations, setSyncIterations] = useState(String(initial?.budgets.sync.max_iterations ?? 5));
  const [syncSeconds, setSyncSeconds] = useState(String(initial?.budgets.sync.max_seconds ?? 45));
  const [local, setLocal] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState(false);
  const errors = { ...fieldErrors(error), ...local };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    onReset();
    setSaved(false);
    const problems: Record<string, string> = {};
    if (!AGENT_NAME.test(name)) problems.name = 'lowercase letters, digits, ".", "-" or "_"';
    if (!model.trim()) problems.model = 'a model is required';
    setLocal(problems);
    if (Object.keys(problems).length) return;
    const budgets = {
      sync: { max_iterations: Number(syncIterations), max_seconds: Number(syncSeconds) },
      background: initial?.budgets.background ?? { max_iterations: 10, max_seconds: 600 },
    };
    try {
      await onSubmit({ name, description, model, system_prompt: systemPrompt, tools, budgets, on_budget_exceeded: onBudget });
      setSaved(true);
    } catch {
      // shown from `error`
    }
  };

  const field = (key: string) => errors[key] && <span className={styles.fieldError} role="alert">{errors[key]}</span>;
  return (
    <form className={styles.form} onSubmit={(e) => void submit(e)} aria-label={initial ? `Edit agent ${initial.name}` : 'New agent'}>
      <h2 className={styles.wide}>{initial ? `Edit ${initial.name}` : 'New agent'}</h2>
      <label>
        Name
        <input value={name} onChange={(e) => setName(e.target.value)} />
        {field('name')}
      </label>
      <label>
        Model
        <input value={model} onChange={(e) => setModel(e.target.value)} placeholder="auto or provider/model" />
        {field('model')}
      </label>
      <label className={styles.wide}>
        Description
        <input value={description} onChange={(e) => setDescription(e.target.value)} />
        {field('description')}
      </label>
      <label className={styles.wide}>
        System prompt
        <textarea rows={4} value={systemPrompt} onChange={(e) => setSystemPrompt(e.target.value)} />
        {field('system_prompt')}
      </label>
      <fieldset className={styles.wide}>
        <legend>Tools</legend>
        {TOOLS.map((t) => (
          <label key={t} style={{ display: 'inline-flex', flexDirection: 'row', marginRight: '1rem' }}>
            <input type="checkbox" checked={tools.includes(t)} onChange={(e) => setTools(e.target.checked ? [...tools, t] : tools.filter((x) => x !== t))} />
            {t}
          </label>
        ))}
        {field('tools')}
      </fieldset>
      <label>
        Sync max iterations
        <input type="number" value={syncIterations} onChange={(e) => setSyncIterations(e.target.value)} />
      </label>
      <label>
        Sync max seconds
        <input type="number" value={syncSeconds} onChange={(e) => setSyncSeconds(e.target.value)} />
      </label>
      {field('budgets')}
      <label>
        When the sync budget is spent
        <select value={onBudget} onChange={(e) => setOnBudget(e.target.value as 'background' | 'stop')}>
          <option value="background">continue in the background</option>
          <option value="stop">stop</option>
        </select>
      </label>
      <span className={styles.actions}>
        <button type="submit">{initial ? 'Save agent' : 'Create agent'}</button>
        {saved && <span role="status">Saved.</span>}
      </span>
      {error != null && !Object.keys(fieldErrors(error)).length && <p role="alert" className={`${styles.error} ${styles.wide}`}>{errorMessage(error)}</p>}
    </form>
  );
}
