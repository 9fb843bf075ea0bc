import http from 'node:http';

/**
 * A lean streaming client used for both paths (direct to upstream, and through Switchboard), so the only
 * difference measured is what lies between. Resolves with the time to the first content token and the total.
 */
export function makeClient(maxSockets = 64) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  return function streamOnce(baseUrl, apiKey, model) {
    const body = JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'Say something.' }] });
    const url = new URL(`${baseUrl}/chat/completions`);
    return new Promise((resolve, reject) => {
      const t0 = process.hrtime.bigint();
      let ttft = -1;
      let tail = '';
      const req = http.request(
        {
          agent,
          hostname: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${apiKey}` },
        },
        (res) => {
          if (res.statusCode !== 200) {
            res.resume();
            reject(new Error(`status ${res.statusCode}`));
            return;
          }
          res.setEncoding('utf8');
          res.on('data', (chunk) => {
            if (ttft < 0 && /"content":"[^"]/.test(chunk)) ttft = Number(process.hrtime.bigint() - t0) / 1e6;
            tail = (tail + chunk).slice(-32);
          });
          res.on('end', () => {
            if (!tail.includes('[DONE]')) reject(new Error('stream ended without [DONE]'));
            else resolve({ ttft, total: Number(process.hrtime.bigint() - t0) / 1e6 });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  };
}
