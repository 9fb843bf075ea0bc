import type { ModelDownloadDto } from '@switchboard/contracts';
import { downloadFraction } from '../data/model-downloads';
import { bytes } from '../runs/format';
import styles from './console.module.css';

/** A download's state: a live bar while it moves, else how it ended (a failure in the worker's words). */
export function DownloadProgress({ download }: { download: ModelDownloadDto }) {
  const fraction = downloadFraction(download);
  const label = `Download of ${download.model}`;
  switch (download.status) {
    case 'queued':
    case 'downloading':
      return (
        <div className={styles.download}>
          <progress aria-label={label} max={1} {...(fraction === null ? {} : { value: fraction })} />
          <span className={styles.muted}>
            {download.status === 'queued' ? 'queued' : `${bytes(download.received_bytes)} of ${bytes(download.total_bytes)}`}
            {fraction !== null && ` (${Math.floor(fraction * 100)}%)`}
          </span>
        </div>
      );
    case 'completed':
      return <span>downloaded {bytes(download.received_bytes)}</span>;
    case 'cancelled':
      return <span className={styles.muted}>cancelled at {bytes(download.received_bytes)} (resumes from there)</span>;
    case 'failed':
      return <span role="alert" className={styles.fieldError}>failed{download.failure ? ` (${download.failure})` : ''}: {download.error}</span>;
  }
}
