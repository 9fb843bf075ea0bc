import type { BenchmarkDto } from '@switchboard/contracts';
import { type FormEvent, useState } from 'react';
import { errorMessage } from '../api/errors';
import { useStartBenchmark } from '../data/use-benchmarks';
import { useCatalogue } from '../data/use-catalogue';
import styles from './console.module.css';
import { fieldErrors } from './field-errors';

/** Starts a benchmark of models the platform serves (the catalogue's `served_as` ids; agents are refused by the API). */
export function BenchmarkForm({ onStarted }: { onStarted(b: BenchmarkDto): void }) {
  const catalogue = useCatalogue();
  const start = useStartBenchmark();
  const [models, setModels] = useState<string[]>([]);
  const [reference, setReference] = useState('');
  const [maxTokens, setMaxTokens] = useState('64');
  const [local, setLocal] = useState<string | null>(null);
  const served = [...new Set((catalogue.data?.data ?? []).flatMap((m) => (m.served_as ? [m.served_as] : [])))];
  const errors = fieldErrors(start.error);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    start.reset();
    if (models.length === 0) return setLocal('choose at least one model');
    if (models.length > 8) return setLocal('at most 8 models per benchmark');
    setLocal(null);
    start.mutate(
      { models, ...(reference ? { reference_model: reference } : {}), ...(maxTokens.trim() ? { max_tokens: Number(maxTokens) } : {}) },
      { onSuccess: onStarted },
    );
  };

  return (
    <form className={styles.form} onSubmit={submit} aria-label="New benchmark">
      <fieldset className={`${styles.checks} ${styles.wide}`}>
        <legend>Models to compare</legend>
        {served.map((id) => (
          <label key={id}>
            <input
              type="checkbox"
              checked={models.includes(id)}
              onChange={(e) => setModels((ms) => (e.target.checked ? [...ms, id] : ms.filter((x) => x !== id)))}
            />
            {id}
          </label>
        ))}
        {served.length === 0 && <span className={styles.muted}>{catalogue.isPending ? 'Loading the catalogue…' : 'The catalogue lists no model the platform serves.'}</span>}
      </fieldset>
      {(local ?? errors.models) && <span className={`${styles.fieldError} ${styles.wide}`} role="alert">{local ?? errors.models}</span>}
      <label>
        Reference model (optional)
        <select value={reference} onChange={(e) => setReference(e.target.value)}>
          <option value="">none: check the expected answers</option>
          {served.map((id) => <option key={id} value={id}>{id}</option>)}
        </select>
        {errors.reference_model && <span className={styles.fieldError} role="alert">{errors.reference_model}</span>}
      </label>
      <label>
        Max tokens per answer
        <input type="number" min={1} max={1024} value={maxTokens} onChange={(e) => setMaxTokens(e.target.value)} />
        {errors.max_tokens && <span className={styles.fieldError} role="alert">{errors.max_tokens}</span>}
      </label>
      <div>
        <button type="submit" disabled={start.isPending}>Start benchmark</button>
      </div>
      {start.error && Object.keys(errors).length === 0 && <p role="alert" className={`${styles.error} ${styles.wide}`}>{errorMessage(start.error)}</p>}
    </form>
  );
}
