import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useMemo, useState, useSyncExternalStore } from 'react';
import { Link } from 'react-router';
import type { ApiClient } from '../api/client';
import { ApiRequestError, errorMessage } from '../api/errors';
import { useSession } from '../auth/session';
import { browserAnswerStore } from '../chat/answer-store';
import { ChatStream, type ChatTransport } from '../chat/chat-stream';
import { Markdown } from '../chat/Markdown';
import { useModels } from '../data/use-models';
import { errorsAt, newStage, type StageDraft, toDefinition } from './pipeline-draft';
import styles from './pipelines.module.css';

type FieldError = { path: string; message: string };

/**
 * The Manual tab: build a multi-stage pipeline, run it once (POST /v1/pipelines/run, streamed and resumed by
 * the chat's own ChatStream), see each problem the API names at its field, and save it as a named pipeline.
 */
export default function ManualPipelinePage() {
  const { client } = useSession();
  const queryClient = useQueryClient();
  const models = useModels();
  const [stages, setStages] = useState<StageDraft[]>([newStage(0)]);
  const [prompt, setPrompt] = useState('');
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [saved, setSaved] = useState<string | null>(null);
  const [saveError, setSaveError] = useState<string | null>(null);

  // The chat's stream, sent to the ad-hoc route: the same SSE handling, resume and stop.
  const runner = useMemo(() => new ManualRunner(client, setErrors), [client]);
  const stream = runner.stream;
  const answer = useSyncExternalStore(stream.subscribe, () => stream.state);

  const update = (i: number, patch: Partial<StageDraft>) => setStages((all) => all.map((s, j) => (j === i ? { ...s, ...patch } : s)));
  const run = (e: FormEvent) => {
    e.preventDefault();
    setErrors([]);
    runner.use(toDefinition(stages, name || undefined));
    void stream.start(name || 'manual', [], prompt);
  };
  const save = async () => {
    setErrors([]);
    setSaved(null);
    setSaveError(null);
    try {
      const row = await client.savePipeline(toDefinition(stages, name, description));
      setSaved(row.name);
      await queryClient.invalidateQueries({ queryKey: ['models'] });
    } catch (error) {
      if (error instanceof ApiRequestError) setErrors(error.details);
      setSaveError(errorMessage(error));
    }
  };
  const fieldError = (path: string): ReactNode => {
    const messages = errorsAt(errors, path);
    return messages.length ? <p role="alert" className={styles.fieldError} aria-label={`Error at ${path}`}>{messages.join('; ')}</p> : null;
  };
  const unplaced = errors.filter((e) => !e.path.startsWith('stages[') && e.path !== 'name');
  const live = answer?.status === 'connecting' || answer?.status === 'streaming';

  return (
    <main className={styles.page}>
      <h1>Manual pipeline</h1>
      <datalist id="model-ids">
        {(models.data ?? []).map((m) => (
          <option key={m.id} value={m.id} />
        ))}
      </datalist>
      <form onSubmit={run} className={styles.form}>
        {stages.map((s, i) => {
          const at = `stages[${i}]`;
          return (
            <fieldset key={i} className={styles.stage}>
              <legend>Stage {i + 1}</legend>
              <label>
                Stage name <input value={s.name} onChange={(e) => update(i, { name: e.target.value })} />
              </label>
              {fieldError(`${at}.name`)}
              <label>
                Stage type
                <select value={s.type} onChange={(e) => update(i, { type: e.target.value as StageDraft['type'] })}>
                  <option value="single">single</option>
                  <option value="multi">multi</option>
                </select>
              </label>
              {s.type === 'single' ? (
                <>
                  <label>
                    Model <input list="model-ids" value={s.model} onChange={(e) => update(i, { model: e.target.value })} />
                  </label>
                  {fieldError(`${at}.model`)}
                </>
              ) : (
                <>
                  {s.models.map((m, k) => (
                    <div key={k}>
                      <label>
                        Model {k + 1}{' '}
                        <input list="model-ids" value={m} onChange={(e) => update(i, { models: s.models.map((x, n) => (n === k ? e.target.value : x)) })} />
                      </label>
                      {fieldError(`${at}.models[${k}]`)}
                    </div>
                  ))}
                  <button type="button" onClick={() => update(i, { models: [...s.models, 'auto'] })}>
                    Add a model
                  </button>
                  <label>
                    Aggregation
                    <select value={s.aggregate} onChange={(e) => update(i, { aggregate: e.target.value as StageDraft['aggregate'] })}>
                      <option value="concat">concat</option>
                      <option value="vote">vote</option>
                      <option value="synthesis">synthesis</option>
                      <option value="template">template</option>
                    </select>
                  </label>
                  {s.aggregate === 'synthesis' && (
                    <label>
                      Synthesis model <input list="model-ids" value={s.aggregateModel} onChange={(e) => update(i, { aggregateModel: e.target.value })} />
                    </label>
                  )}
                  {s.aggregate === 'template' && (
                    <label>
                      Template <input value={s.template} onChange={(e) => update(i, { template: e.target.value })} />
                    </label>
                  )}
                  {fieldError(`${at}.aggregate`)}
                </>
              )}
              <label>
                Input from (earlier stages or request, comma-separated; empty: the previous stage)
                <input value={s.inputFrom} onChange={(e) => update(i, { inputFrom: e.target.value })} />
              </label>
              {fieldError(`${at}.input_from`)}
              <label>
                Output mode
                <select value={s.outputMode} onChange={(e) => update(i, { outputMode: e.target.value as StageDraft['outputMode'] })}>
                  <option value="answer_only">answer_only</option>
                  <option value="input_plus_answer">input_plus_answer</option>
                </select>
              </label>
              {fieldError(`${at}.prompt`)}
              {stages.length > 1 && (
                <button type="button" onClick={() => setStages((all) => all.filter((_, j) => j !== i))}>
                  Remove stage {i + 1}
                </button>
              )}
            </fieldset>
          );
        })}
        <button type="button" onClick={() => setStages((all) => [...all, newStage(all.length)])}>
          Add a stage
        </button>
        {unplaced.map((e) => (
          <p key={e.path + e.message} role="alert" className={styles.fieldError}>
            {e.path ? `${e.path}: ` : ''}
            {e.message}
          </p>
        ))}
        <label>
          Message <textarea value={prompt} onChange={(e) => setPrompt(e.target.value)} rows={3} required />
        </label>
        <div className={styles.actions}>
          <button type="submit" disabled={live || !prompt.trim()}>
            Run once
          </button>
          {live && (
            <button type="button" onClick={() => void stream.stop()}>
              Stop
            </button>
          )}
        </div>
      </form>

      {answer && (
        <section aria-label="Pipeline answer" className={styles.answer}>
          {answer.reasoning && <pre className={styles.progress}>{answer.reasoning}</pre>}
          {answer.text && <Markdown text={answer.text} />}
          {answer.error && <p role="alert">{answer.error.message}</p>}
          {answer.status === 'done' && <p className={styles.done}>Answer complete</p>}
        </section>
      )}

      <section aria-label="Save as a named pipeline" className={styles.save}>
        <label>
          Pipeline name <input value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        {fieldError('name')}
        <label>
          Description <input value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
        <button type="button" onClick={() => void save()} disabled={!name}>
          Save as named pipeline
        </button>
        {saveError && <p role="alert">{saveError}</p>}
        {saved && (
          <p role="status">
            Saved as {saved}: pick it in the <Link to="/">chat</Link>.
          </p>
        )}
      </section>
    </main>
  );
}

/**
 * A ChatStream whose transport posts the definition last given to `use` to POST /v1/pipelines/run, handing
 * the API's field errors to the page; resume and stop go to the run like a chat answer's.
 */
class ManualRunner {
  readonly stream: ChatStream;
  private definition: Record<string, unknown> = {};

  constructor(client: ApiClient, onFieldErrors: (errors: FieldError[]) => void) {
    const transport: ChatTransport = {
      chat: async (request, _conversationId, signal) => {
        try {
          return await client.runPipeline(this.definition, request.messages, signal);
        } catch (error) {
          if (error instanceof ApiRequestError) onFieldErrors(error.details);
          throw error;
        }
      },
      runEvents: (runId, lastEventId, signal) => client.runEvents(runId, lastEventId, signal),
      cancelRun: (runId) => client.cancelRun(runId),
    };
    this.stream = new ChatStream(transport, browserAnswerStore(), 'manual-pipeline');
  }

  use(definition: Record<string, unknown>): void {
    this.definition = definition;
  }
}
