import { loadConfig } from '@switchboard/config';
import type { ModelCatalogueDto } from '@switchboard/contracts';
import { buildModelCatalogue, manifestPathIn, readModelManifest } from '@switchboard/providers';
import type { ModelsCommandContext } from './models-catalog.js';
import type { PlatformClient } from './platform-client.js';
import { formatTable } from './cli-output.js';

const gb = (bytes: number | null | undefined): string => (bytes === null || bytes === undefined ? '-' : `${(bytes / 1e9).toFixed(2)} GB`);

/**
 * `switchboard models list`: the catalogue from the running platform's API, or built here the same way when
 * no platform is up (then without download states).
 */
export async function listModelsCommand(ctx: ModelsCommandContext, platform: PlatformClient | null, json = false): Promise<ModelCatalogueDto> {
  let catalogue: ModelCatalogueDto;
  if (platform) catalogue = await platform.request<ModelCatalogueDto>('GET', '/api/models');
  else {
    const config = loadConfig({ env: ctx.env, cwd: ctx.cwd });
    const manifest = await readModelManifest(manifestPathIn(config.models.dir)).catch(() => null);
    catalogue = await buildModelCatalogue(config, { manifest });
  }
  ctx.out.write(json ? `${JSON.stringify(catalogue, null, 2)}\n` : formatCatalogue(catalogue));
  return catalogue;
}

export function formatCatalogue(c: ModelCatalogueDto): string {
  const lines: string[] = [];
  lines.push(`RAM ${gb(c.machine.free_ram_bytes)} free of ${gb(c.machine.total_ram_bytes)}; disk ${gb(c.machine.free_disk_bytes)} free in ${c.machine.models_dir}`);
  for (const s of c.local_servers) lines.push(`${s.kind === 'ollama' ? 'Ollama' : 'Docker Model Runner'} at ${s.url}: ${s.available ? `${s.models} model(s)` : `absent (${s.error})`}`);
  lines.push('');
  const rows = c.data.map((m) => [
    m.file ? (m.file.present ? '✓' : m.file.partial_bytes > 0 ? '…' : '✗') : m.local ? '•' : ' ',
    `${m.served_as ?? m.id}${m.default ? ' (default)' : ''}`,
    m.source,
    m.quantization ?? '-',
    gb(m.size_bytes),
    m.memory ? `${gb(m.memory.ram_bytes)}${m.memory.fits ? '' : ' (no fit)'}` : '-',
    m.download ? `${m.download.status}${m.download.total_bytes ? ` ${Math.floor((100 * m.download.received_bytes) / m.download.total_bytes)}%` : ''}` : '',
  ]);
  const table = formatTable(['', 'model', 'source', 'quant', 'size', 'RAM needed', 'download'], rows).split('\n');
  const markWidth = Math.max(...rows.map((r) => r[0]!.length));
  lines.push(table[0]!);
  for (const [i, row] of table.slice(1).entries()) {
    lines.push(row);
    const hint = c.data[i]!.hint;
    if (hint) lines.push(`${' '.repeat(markWidth + 2)}  ${hint}`);
  }
  lines.push('', '✓ on disk  ✗ not downloaded  … partly downloaded  • held by a local server');
  return `${lines.join('\n')}\n`;
}
