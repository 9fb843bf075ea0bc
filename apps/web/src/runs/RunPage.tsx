import type { PipelineRunOutput, PipelineStageOutput, RunDto } from '@switchboard/contracts';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { errorMessage } from '../api/errors';
import { useSession } from '../auth/session';
import { rememberModel } from '../chat/model-choice';
import { chatStreamFor } from '../chat/use-chat-stream';
import { useRun } from '../data/use-runs';
import { cost, duration, ms, when } from './format';
import styles from './runs.module.css';

function pipelineOutput(run: RunDto): PipelineRunOutput | null {
  const output = run.output as Partial<PipelineRunOutput> | null;
  return output && typeof output.pipeline === 'string' && Array.isArray(output.stages) ? (output as PipelineRunOutput) : null;
}

/** One run: where it stands, what it used, every provider attempt, and for a pipeline every stage. */
export default function RunPage() {
  const { runId = '' } = useParams();
  const run = useRun(runId);
  if (run.error) return <div className={styles.page}><p role="alert" className={styles.error}>{errorMessage(run.error)}</p></div>;
  if (!run.data) return <p className="boot">Loading…</p>;
  const r = run.data;
  const pipeline = pipelineOutput(r);
  return (
    <div className={styles.page}>
      <p>
        <Link to="/runs">← Runs</Link>
      </p>
      <h1>
        Run <code>{r.id}</code>
      </h1>
      <dl className={styles.facts}>
        <dt>Status</dt>
        <dd>
          <span className={styles[r.status]}>{r.status}</span> {r.mode === 'background' && '(went to the background)'}
        </dd>
        <dt>Asked</dt>
        <dd>{r.model}</dd>
        <dt>Answered by</dt>
        <dd>{r.provider ? `${r.provider}/${r.provider_model ?? ''}` : '—'}</dd>
        <dt>Created</dt>
        <dd>{when(r.created_at)}</dd>
        <dt>Took</dt>
        <dd>{duration(r.started_at, r.finished_at)}</dd>
        <dt>Usage</dt>
        <dd>
          {r.usage.prompt_tokens} prompt + {r.usage.completion_tokens} completion tokens
        </dd>
        <dt>Cost</dt>
        <dd>{cost(r.cost)}</dd>
        <dt>Attempt</dt>
        <dd>{r.attempt}</dd>
        {r.finish_reason && (
          <>
            <dt>Finish</dt>
            <dd>{r.finish_reason}</dd>
          </>
        )}
        {r.conversation_id && (
          <>
            <dt>Conversation</dt>
            <dd>
              <Link to={`/chat/${r.conversation_id}`}>Open</Link>
            </dd>
          </>
        )}
      </dl>
      {r.error && <p role="alert" className={styles.error}>{r.error}</p>}

      <h2>Provider attempts</h2>
      {r.attempts.length === 0 ? (
        <p className={styles.muted}>None recorded (yet).</p>
      ) : (
        <table className={styles.table} aria-label="Provider attempts">
          <thead>
            <tr>
              <th>#</th>
              <th>Provider</th>
              <th>Model</th>
              <th>Outcome</th>
              <th>Latency</th>
              <th>First token</th>
              <th>Error</th>
            </tr>
          </thead>
          <tbody>
            {r.attempts.map((a, i) => (
              <tr key={i}>
                <td>{i + 1}</td>
                <td>{a.provider}</td>
                <td>{a.model}</td>
                <td>{a.cached ? `${a.outcome} (cache)` : a.outcome}</td>
                <td>{ms(a.latency_ms)}</td>
                <td>{a.ttft_ms === null ? '—' : ms(a.ttft_ms)}</td>
                <td>{a.error ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {pipeline && <PipelineStages output={pipeline} />}
    </div>
  );
}

function PipelineStages({ output }: { output: PipelineRunOutput }) {
  const { client } = useSession();
  const navigate = useNavigate();
  const [error, setError] = useState<string | null>(null);
  const input = output.stages[0]?.input ?? '';
  // Again in a new conversation of its own, streamed in the chat like any answer.
  const again = async () => {
    try {
      const conversation = await client.createConversation(`${output.pipeline}: ${input.slice(0, 60)}`);
      rememberModel(conversation.id, output.pipeline);
      void chatStreamFor(client, conversation.id).start(output.pipeline, [], input);
      void navigate(`/chat/${conversation.id}`);
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  return (
    <section aria-label="Pipeline stages">
      <h2>
        Pipeline <code>{output.pipeline}</code>
      </h2>
      <button type="button" onClick={() => void again()} disabled={!input}>
        Run again on the same input
      </button>
      {error && <p role="alert" className={styles.error}>{error}</p>}
      <ol className={styles.stages}>
        {output.stages.map((stage) => (
          <Stage key={stage.stage} stage={stage} />
        ))}
      </ol>
    </section>
  );
}

function Stage({ stage }: { stage: PipelineStageOutput }) {
  return (
    <li className={styles.stage} aria-label={`Stage ${stage.stage}`}>
      <h3>
        {stage.stage} <span className={styles.muted}>({stage.type}, {ms(stage.durationMs)}, {stage.usage.total_tokens} tokens)</span>
      </h3>
      <details>
        <summary>Input</summary>
        <pre>{stage.input}</pre>
      </details>
      <h4>Answers</h4>
      <ul className={styles.answers}>
        {stage.answers.map((a, i) => (
          <li key={i}>
            <strong>{a.model}</strong> <span className={styles.muted}>via {a.servedBy}</span>
            <pre>{a.text}</pre>
          </li>
        ))}
      </ul>
      {stage.synthesis && (
        <>
          <h4>Synthesis</h4>
          <p>
            <strong>{stage.synthesis.model}</strong>
          </p>
          <pre>{stage.synthesis.text}</pre>
        </>
      )}
      {stage.votes && (
        <>
          <h4>Votes</h4>
          <table className={styles.table} aria-label={`Votes of ${stage.stage}`}>
            <thead>
              <tr>
                <th>Answer</th>
                <th>Votes</th>
                <th>Models</th>
              </tr>
            </thead>
            <tbody>
              {stage.votes.map((v) => (
                <tr key={v.answer}>
                  <td>{v.answer}</td>
                  <td>{v.count}</td>
                  <td>{v.models.join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <h4>Output</h4>
      <pre className={styles.output}>{stage.output}</pre>
    </li>
  );
}
