import type { CatalogueModelDto, ModelCatalogueDto, ModelDownloadDto } from '@switchboard/contracts';

export const CATALOGUE_KEY = ['catalogue'] as const;

/** A download still moving: the page follows it (socket.io events, polling as the fallback). */
export function isActiveDownload(download: ModelDownloadDto | null): boolean {
  return download?.status === 'queued' || download?.status === 'downloading';
}

/** The row a download belongs to: the manifest model it fetches (the download's `model` is the manifest name). */
function fetches(row: CatalogueModelDto, state: ModelDownloadDto): boolean {
  return row.download?.job_id === state.job_id || (row.url !== null && row.name === state.model);
}

/**
 * The catalogue with one download's newer state (from a model.download.* event). States arrive out of order now
 * and then (an event and a poll crossing): an older `updated_at` than the one shown is ignored, so the bar never
 * moves back. Returns the same object when nothing changed, so React Query re-renders nothing.
 */
export function withDownload(catalogue: ModelCatalogueDto, state: ModelDownloadDto): ModelCatalogueDto {
  let changed = false;
  const data = catalogue.data.map((row) => {
    if (!fetches(row, state)) return row;
    const shown = row.download;
    if (shown && shown.job_id === state.job_id && Date.parse(shown.updated_at) > Date.parse(state.updated_at)) return row;
    changed = true;
    return { ...row, download: state };
  });
  return changed ? { ...catalogue, data } : catalogue;
}

/** How far a download is, 0..1, or null while its size is unknown. */
export function downloadFraction(download: ModelDownloadDto): number | null {
  if (!download.total_bytes) return null;
  return Math.min(1, download.received_bytes / download.total_bytes);
}
