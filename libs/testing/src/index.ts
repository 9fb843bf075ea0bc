export * from './fake-upstream/fake-reply.types.js';
export { startFakeUpstream, type FakeUpstream, type FakeUpstreamOptions } from './fake-upstream/fake-upstream.server.js';
export { fixturesDir, readFixture, splitSseEvents, parseSseData } from './sse-fixtures.js';
export { getFreePort } from './net.helpers.js';
export { collectStream } from './stream.helpers.js';
export * from './gguf/index.js';
export { createGate, type Gate } from './gate.js';
export { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
export { waitFor } from './wait.helpers.js';
