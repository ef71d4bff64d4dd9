// The HTTP ceiling: the same Hono + @hono/node-server stack as the node, with no middleware,
// no storage and no logging. Run as its own process, like the node under test.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.get('/', (c) => c.text('Hello, world!'));
// Parses the body like the node must, so POST figures have a ceiling that includes JSON.parse.
app.post('/echo', async (c) => {
  const body: unknown = await c.req.json();
  return c.json({ ok: body !== null });
});

const port = Number(process.env.PORT ?? 0);
const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) => {
  console.log(JSON.stringify({ msg: 'hello server listening', port: info.port }));
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
