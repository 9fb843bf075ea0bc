import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs (pino) for every app. Authorization headers and anything named like a secret are
 * redacted at the logger, so a careless `log.info({ config })` still cannot leak a key.
 */
export function createLogger(app: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name: app,
    level,
    base: { app },
    redact: {
      paths: [
        'req.headers.authorization',
        'headers.authorization',
        'authorization',
        '*.api_key',
        '*.admin_key',
        '*.apiKey',
        '*.password',
        '*.secret',
        'config.auth',
      ],
      censor: '***',
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
