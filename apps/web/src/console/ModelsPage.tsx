import type { CatalogueModelDto, LocalServerDto, ModelSelectionDto } from '@switchboard/contracts';
import { useState } from 'react';
import { errorMessage } from '../api/errors';
import { useCatalogue, useCatalogueMutations } from '../data/use-catalogue';
import { isActiveDownload } from '../data/model-downloads';
import { bytes } from '../runs/format';
import styles from './console.module.css';
import { DownloadProgress } from './DownloadProgress';

const SERVER_NAMES: Record<LocalServerDto['kind'], string> = { 'docker-model-runner': 'Docker Model Runner', ollama: 'Ollama' };

/**
 * The model catalogue: what fits this machine, what is on disk, the local model servers found; download a
 * manifest model with live progress (socket.io events, see notifications/), cancel it, or make a model the
 * default local model.
 */
export default function ModelsPage() {
  const catalogue = useCatalogue();
  const { download, cancel, select } = useCatalogueMutations();
  const [selected, setSelected] = useState<ModelSelectionDto | null>(null);
  const failed = [download.error, cancel.error, select.error].find(Boolean);
  const busy = download.isPending || cancel.isPending || select.isPending;
  const machine = catalogue.data?.machine;
  const servers = catalogue.data?.local_servers ?? [];

  return (
    <section className={styles.page} aria-label="Models">
      <h1>Models</h1>
      {catalogue.error && <p role="alert" className={styles.error}>{errorMessage(catalogue.error)}</p>}
      {failed && <p role="alert" className={styles.error}>{errorMessage(failed)}</p>}
      {selected && (
        <div role="status" className={styles.notice}>
          <strong>{selected.model_id} is the default local model</strong> ({selected.change === 'unchanged' ? 'it already was' : `${selected.config_path} updated`};{' '}
          {selected.applied ? 'running workers use it from their next run' : 'workers use it when they start'}).
          {selected.notes.map((n) => <p key={n}>{n}</p>)}
        </div>
      )}
      {machine && (
        <div className={styles.cards}>
          <div className={styles.card}>Free RAM<strong>{bytes(machine.free_ram_bytes)}</strong><span className={styles.muted}>of {bytes(machine.total_ram_bytes)}</span></div>
          <div className={styles.card}>Free disk<strong>{bytes(machine.free_disk_bytes)}</strong><span className={styles.muted}>{machine.models_dir}</span></div>
          {servers.map((s) => (
            <div key={s.kind} className={styles.card} aria-label={`Local server ${SERVER_NAMES[s.kind]}`}>
              {SERVER_NAMES[s.kind]}
              <strong>{s.available ? `${s.models} model${s.models === 1 ? '' : 's'}` : 'not found'}</strong>
              <span className={styles.muted}>{s.available ? s.url : (s.error ?? s.url)}</span>
            </div>
          ))}
        </div>
      )}
      <table className={styles.table} aria-label="Model catalogue">
        <thead>
          <tr>
            <th>Model</th>
            <th>Source</th>
            <th>Size</th>
            <th>Memory</th>
            <th>On disk</th>
            <th>Download</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {catalogue.data?.data.map((m) => (
            <tr key={m.id} aria-label={`Model ${m.id}`}>
              <td>
                <strong>{m.served_as ?? m.name}</strong>
                {m.default && <span className={styles.badge}>default</span>}
                {m.test_model && <span className={styles.badge}>test model</span>}
                {m.description && <div className={styles.muted}>{m.description}</div>}
                {m.hint && <div className={styles.muted}>{m.hint}</div>}
              </td>
              <td>{m.provider ? `${m.source} (${m.provider})` : m.source}</td>
              <td>{[bytes(m.size_bytes), m.quantization].filter((x) => x && x !== '—').join(' ') || '—'}</td>
              <td><Fit model={m} /></td>
              <td aria-label={`On disk ${m.name}`}>{onDisk(m)}</td>
              <td>{m.download ? <DownloadProgress download={m.download} /> : '—'}</td>
              <td>
                <div className={styles.actions}>
                  {m.url !== null && !m.file?.present && !isActiveDownload(m.download) && (
                    <button type="button" disabled={busy} onClick={() => download.mutate({ name: m.name })}>Download {m.name}</button>
                  )}
                  {m.url !== null && m.file?.present && !isActiveDownload(m.download) && (
                    <button
                      type="button"
                      disabled={busy}
                      onClick={() => {
                        // A damaged file is fixed this way; the one on disk stays in use until the new copy verifies.
                        if (window.confirm(`Download ${m.name} again? The file on disk is replaced once the new copy is complete and verified.`)) {
                          download.mutate({ name: m.name, force: true });
                        }
                      }}
                    >
                      Download {m.name} again
                    </button>
                  )}
                  {isActiveDownload(m.download) && (
                    <button type="button" disabled={busy} onClick={() => cancel.mutate(m.name)}>Cancel {m.name}</button>
                  )}
                  {selectable(m) && (
                    <button
                      type="button"
                      disabled={busy}
                      onClick={() => {
                        setSelected(null);
                        select.mutate(m.name, { onSuccess: setSelected });
                      }}
                    >
                      Select {m.name} as default
                    </button>
                  )}
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Fit({ model }: { model: CatalogueModelDto }) {
  const memory = model.memory;
  if (!memory) return <>{model.local ? 'unknown' : 'remote'}</>;
  return (
    <span className={memory.fits ? styles.closed : styles.open} title={`estimate from ${memory.basis}`}>
      {memory.fits ? 'fits' : 'does not fit'} ({bytes(memory.ram_bytes)})
    </span>
  );
}

function onDisk(m: CatalogueModelDto): string {
  if (!m.file) return m.local ? 'held by its server' : 'remote';
  if (m.file.present) return `on disk (${bytes(m.file.bytes_on_disk)})`;
  return m.file.partial_bytes > 0 ? `not yet (${bytes(m.file.partial_bytes)} partial)` : 'not downloaded';
}

/** GGUF models the first llama-cpp provider can serve (manifest or configured); the test model is never the default. */
function selectable(m: CatalogueModelDto): boolean {
  return !m.default && !m.test_model && m.file !== null && (m.source === 'manifest' || m.source === 'config');
}
