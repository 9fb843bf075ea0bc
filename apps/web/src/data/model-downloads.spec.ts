import type { CatalogueModelDto, ModelCatalogueDto, ModelDownloadDto } from '@switchboard/contracts';
import { describe, expect, it } from 'vitest';
import { downloadFraction, isActiveDownload, withDownload } from './model-downloads';

const state = (patch: Partial<ModelDownloadDto>): ModelDownloadDto => ({
  model: 'tiny',
  status: 'downloading',
  job_id: 'download-tiny',
  received_bytes: 0,
  total_bytes: 1000,
  resumed_from_bytes: 0,
  failure: null,
  error: null,
  sha256: null,
  started_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:01.000Z',
  finished_at: null,
  ...patch,
});

const row = (patch: Partial<CatalogueModelDto>): CatalogueModelDto => ({
  id: 'local/tiny',
  name: 'tiny',
  source: 'manifest',
  local: true,
  served_as: 'local/tiny',
  provider: 'local',
  description: '',
  quantization: null,
  size_bytes: 1000,
  context_length: null,
  tools: null,
  file: { path: '/m/tiny.gguf', present: false, bytes_on_disk: 0, partial_bytes: 0 },
  url: 'http://127.0.0.1:1/tiny.gguf',
  sha256: null,
  memory: null,
  default: false,
  test_model: false,
  download: null,
  hint: null,
  ...patch,
});

const catalogue = (data: CatalogueModelDto[]): ModelCatalogueDto => ({
  machine: { total_ram_bytes: 1, free_ram_bytes: 1, free_disk_bytes: 1, models_dir: '/m' },
  local_servers: [],
  data,
});

describe('withDownload', () => {
  it('puts an event on the manifest row it fetches, and on no other row', () => {
    const other = row({ id: 'ollama:tiny', source: 'ollama', url: null, file: null });
    const next = withDownload(catalogue([row({}), other]), state({ received_bytes: 400 }));
    expect(next.data[0]?.download?.received_bytes).toBe(400);
    expect(next.data[1]).toBe(other);
  });

  it('ignores a state older than the one shown, so the bar never moves back', () => {
    const shown = catalogue([row({ download: state({ received_bytes: 600, updated_at: '2026-01-01T00:00:02.000Z' }) })]);
    expect(withDownload(shown, state({ received_bytes: 400, updated_at: '2026-01-01T00:00:01.000Z' }))).toBe(shown);
    expect(withDownload(shown, state({ received_bytes: 800, updated_at: '2026-01-01T00:00:03.000Z' })).data[0]?.download?.received_bytes).toBe(800);
  });

  it('takes a new job over an older one of the same model, whatever their times', () => {
    const shown = catalogue([row({ download: state({ job_id: 'old', status: 'cancelled', updated_at: '2026-01-01T00:00:09.000Z' }) })]);
    expect(withDownload(shown, state({ status: 'queued' })).data[0]?.download?.status).toBe('queued');
  });

  it('returns the same catalogue for a model it does not list', () => {
    const shown = catalogue([row({})]);
    expect(withDownload(shown, state({ model: 'other', job_id: 'download-other' }))).toBe(shown);
  });
});

describe('download helpers', () => {
  it('tells active downloads and how far they are', () => {
    expect(isActiveDownload(state({ status: 'queued' }))).toBe(true);
    expect(isActiveDownload(state({ status: 'completed' }))).toBe(false);
    expect(isActiveDownload(null)).toBe(false);
    expect(downloadFraction(state({ received_bytes: 250 }))).toBe(0.25);
    expect(downloadFraction(state({ total_bytes: null }))).toBeNull();
  });
});
