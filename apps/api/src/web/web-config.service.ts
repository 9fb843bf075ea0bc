import { Inject, Injectable, Optional } from '@nestjs/common';
import { type SwitchboardConfig, type WebConfig } from '@switchboard/contracts';
import { API_CONFIG, GATEWAY_PORT } from '../api.tokens.js';
import { AuthService } from '../auth/auth.service.js';

@Injectable()
export class WebConfigService {
  constructor(
    @Inject(API_CONFIG) private readonly config: SwitchboardConfig,
    private readonly auth: AuthService,
    @Optional() @Inject(GATEWAY_PORT) private readonly gatewayPort?: () => number | null,
  ) {}

  /**
   * The gateway as the browser that asked reaches this api: same scheme and host name, the gateway's port (the
   * port it really listens on when it runs in this process, so `gateway_port: 0` works too).
   */
  async get(protocol: string, hostname: string): Promise<WebConfig> {
    const port = this.gatewayPort?.() ?? this.config.server.gateway_port;
    const host = hostname.replace(/:\d+$/, '');
    return { gateway_url: `${protocol}://${host}:${port}`, auth: (await this.auth.isOpen()) ? 'open' : 'key' };
  }
}
