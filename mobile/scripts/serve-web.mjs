#!/usr/bin/env node
/**
 * Serve the exported web app (expo export --platform web) and reverse-proxy /api and /ws to
 * the backend, so the browser sees ONE origin: no CORS settings in Django, and the app's
 * default API URL (its own origin) just works. Also the easiest way to reach `make run`
 * from a phone (the API itself listens on 127.0.0.1 only): --host 0.0.0.0.
 *
 *   node scripts/serve-web.mjs --dir dist --api http://127.0.0.1:8000 --port 8082 [--host 0.0.0.0]
 *
 * Prints "serving http://HOST:PORT" once it listens (--port 0 picks a free port).
 * No dependencies: Node's http/net only.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const root = path.resolve(arg('dir', 'dist'));
const api = new URL(arg('api', process.env.API_URL ?? 'http://127.0.0.1:8000'));
const host = arg('host', '127.0.0.1');
const port = Number(arg('port', '8082'));
const PROXIED = /^\/(api|ws)(\/|$|\?)/;

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

if (!existsSync(path.join(root, 'index.html'))) {
  console.error(`no ${path.join(root, 'index.html')}: run \`npx expo export --platform web --output-dir dist\` first`);
  process.exit(2);
}

function upstreamHeaders(headers) {
  // The API sees its own host name (ALLOWED_HOSTS), whatever name the browser used.
  return { ...headers, host: api.host, 'x-forwarded-proto': 'http' };
}

function proxy(req, res) {
  const upstream = http.request(
    { host: api.hostname, port: api.port || 80, method: req.method, path: req.url, headers: upstreamHeaders(req.headers) },
    (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    },
  );
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'bad_gateway', message: 'The API server is not reachable.', fields: {} } }));
  });
  req.pipe(upstream);
}

function serveStatic(req, res) {
  const url = new URL(req.url ?? '/', 'http://x');
  let file = path.normalize(path.join(root, decodeURIComponent(url.pathname)));
  if (!file.startsWith(root)) {
    res.writeHead(403).end();
    return;
  }
  if (!existsSync(file) || statSync(file).isDirectory()) {
    const html = `${file.replace(/\/$/, '')}.html`;
    // A single-page app: every unknown path is a client-side route.
    file = existsSync(html) ? html : path.join(root, 'index.html');
  }
  const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
  const immutable = file.includes(`${path.sep}_expo${path.sep}`) || file.includes(`${path.sep}assets${path.sep}`);
  res.writeHead(200, { 'content-type': type, 'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache' });
  createReadStream(file).pipe(res);
}

const server = http.createServer((req, res) => {
  if (PROXIED.test(req.url ?? '')) proxy(req, res);
  else serveStatic(req, res);
});

// WebSocket (/ws/updates): replay the upgrade request upstream, then splice the sockets.
server.on('upgrade', (req, socket, head) => {
  if (!PROXIED.test(req.url ?? '')) {
    socket.destroy();
    return;
  }
  const upstream = net.connect(Number(api.port || 80), api.hostname, () => {
    const headers = upstreamHeaders(req.headers);
    const lines = [`${req.method} ${req.url} HTTP/1.1`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), '', ''];
    upstream.write(lines.join('\r\n'));
    if (head && head.length) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  const close = () => {
    upstream.destroy();
    socket.destroy();
  };
  upstream.on('error', close);
  socket.on('error', close);
  upstream.on('close', () => socket.destroy());
  socket.on('close', () => upstream.destroy());
});

server.listen(port, host, () => {
  const address = server.address();
  console.log(`serving http://${host}:${address.port} (static ${root}; /api and /ws -> ${api.origin})`);
});

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
