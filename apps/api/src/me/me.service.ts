import { Inject, Injectable } from '@nestjs/common';
import { type MeDto } from '@switchboard/contracts';
import { type ApiKeysRepository } from '@switchboard/db';
import { API_KEYS_REPOSITORY } from '../api.tokens.js';
import { type Principal } from '../auth/principal.js';

@Injectable()
export class MeService {
  constructor(@Inject(API_KEYS_REPOSITORY) private readonly keys: ApiKeysRepository) {}

  /** The principal as the auth guard found it; a database key adds its name and prefix. */
  async get(principal: Principal): Promise<MeDto> {
    const row = principal.keyId ? await this.keys.get(principal.keyId) : null;
    return { kind: principal.kind, role: principal.role, key_id: principal.keyId, key_name: row?.name ?? null, key_prefix: row?.prefix ?? null };
  }
}
