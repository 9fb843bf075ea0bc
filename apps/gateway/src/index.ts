export * from './gateway-server.js';
export * from './openai-error.js';
