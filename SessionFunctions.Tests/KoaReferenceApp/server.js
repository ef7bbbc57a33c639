'use strict';
// The Koa reference app of the interop tests: koa-generic-session 2.3.1 + koa-redis 4.0.1, configured from the
// environment exactly like the C# service under test. Every route answers {session, sessionId} as JSON.
//   PORT, REDIS_PORT   where to listen, and where Redis is (both loopback)
//   KEYS               JSON array: app.keys
//   SESSION_OPTIONS    JSON object: key, prefix, ttl, rolling, allowEmpty, cookie
//   TRUST_PROXY        "true" to set app.proxy (X-Forwarded-Proto)
const Koa = require('koa');
const session = require('koa-generic-session');
const redisStore = require('koa-redis');

const port = Number(process.env.PORT);
const store = redisStore({ host: '127.0.0.1', port: Number(process.env.REDIS_PORT) });
const options = JSON.parse(process.env.SESSION_OPTIONS || '{}');

const app = new Koa();
app.keys = JSON.parse(process.env.KEYS);
app.proxy = process.env.TRUST_PROXY === 'true';
app.use(session({ ...options, store }));

async function readJson(ctx) {
  const chunks = [];
  for await (const chunk of ctx.req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : {};
}

app.use(async (ctx) => {
  const base = (options.cookie && options.cookie.path && options.cookie.path !== '/') ? options.cookie.path : '';
  const route = ctx.method + ' ' + ctx.path.slice(base.length);
  switch (route) {
    case 'GET /session':                         // read only
      break;
    case 'POST /session/merge':                  // modify: assign the body's fields
      Object.assign(ctx.session, await readJson(ctx));
      break;
    case 'PUT /session':                         // replace the fields, keep the cookie object
      { const body = await readJson(ctx); ctx.session = { cookie: ctx.session.cookie, ...body }; }
      break;
    case 'POST /session/increment':              // read-modify-write of one field
      ctx.session.count = (ctx.session.count || 0) + 1;
      break;
    case 'DELETE /session':                      // remove
      ctx.session = null;
      break;
    case 'POST /session/regenerate':             // new id, then the body's fields
      { const body = await readJson(ctx); await ctx.regenerateSession(); Object.assign(ctx.session, body); }
      break;
    default:
      ctx.status = 404;
      return;
  }
  ctx.body = { session: ctx.session, sessionId: ctx.sessionId };
});

const server = app.listen(port, '127.0.0.1', () => console.log('listening on ' + port));

// koa-generic-session turns koa-redis' `disconnect` into a timer whose rejection nobody awaits, which crashes
// Node at reconnectTimeout (reference §4.1): silence the client's events before quitting.
async function shutdown() {
  server.close();
  store.client.emit = () => true;
  try { await store.quit(); } catch (_) { /* already closed */ }
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
process.stdin.on('end', shutdown);
process.stdin.resume();
