export * from './fake-upstream/fake-reply.types.js';
export { startFakeUpstream, type FakeUpstream, type FakeUpstreamOptions } from './fake-upstream/fake-upstream.server.js';
export { fixturesDir, readFixture, splitSseEvents, parseSseData } from './sse-fixtures.js';
export { getFreePort } from './net.helpers.js';
export { collectStream } from './stream.helpers.js';
export * from './gguf/index.js';
export { startFakeDockerModelRunner, startFakeOllama, type FakeLocalModel, type FakeLocalServer } from './fake-local-servers/fake-local-servers.js';
export { startFakeModelHub, type FakeModelHub } from './fake-local-servers/fake-model-hub.js';
