// The benchmark's reference point: a stateless Node proxy with no queue, no records and no event log. It does what
// any OpenAI proxy must (read and parse the request, check the key, pick the upstream model, forward, pipe the
// stream back) and nothing else, so its row shows what the machine allows a Node hop to cost. Prints its URL.
import http from 'node:http';

const upstream = new URL(process.env.BENCH_UPSTREAM);
const key = process.env.BENCH_KEY;
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (req.headers.authorization !== `Bearer ${key}`) return void res.writeHead(401).end();
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return void res.writeHead(400).end();
    }
    body.model = String(body.model).split('/').pop();
    const payload = JSON.stringify(body);
    const up = http.request(
      {
        agent,
        hostname: upstream.hostname,
        port: upstream.port,
        path: `${upstream.pathname.replace(/\/$/, '')}/chat/completions`,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, { 'content-type': upRes.headers['content-type'] ?? 'text/event-stream' });
        upRes.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    up.end(payload);
  });
});
server.keepAliveTimeout = 65000;
server.listen(0, '127.0.0.1', () => console.log(`http://127.0.0.1:${server.address().port}/v1`));
process.on('SIGTERM', () => process.exit(0));
