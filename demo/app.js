'use strict';
// Perf Lens demo: a small blog API over SQLite with two deliberate problems to find:
// an N+1 query in GET /posts-with-authors and a memory leak in POST /sessions (cache.js: Redis).
const http = require('node:http');
const crypto = require('node:crypto');
const { openDatabase } = require('./db');

const db = openDatabase();

const listPosts = db.prepare(`
  SELECT p.id, p.title, p.created_at, a.name AS author, COUNT(c.id) AS comments
  FROM posts p JOIN authors a ON a.id = p.author_id LEFT JOIN comments c ON c.post_id = p.id
  GROUP BY p.id ORDER BY p.created_at DESC, p.id DESC LIMIT ?`);
const getPost = db.prepare(`
  SELECT p.id, p.title, p.body, p.created_at, a.name AS author
  FROM posts p JOIN authors a ON a.id = p.author_id WHERE p.id = ?`);
const getComments = db.prepare(`
  SELECT c.id, c.body, a.name AS author FROM comments c JOIN authors a ON a.id = c.author_id
  WHERE c.post_id = ? ORDER BY c.id`);

function postsWithAuthors() {
  const posts = db.prepare('SELECT id, title, author_id FROM posts ORDER BY id LIMIT 20').all();
  for (const post of posts) {
    post.author = db.prepare('SELECT id, name FROM authors WHERE id = ?').get(post.author_id); // N+1: one query per post
  }
  return posts;
}

const { cached, closeCache } = require('./cache');
const countPosts = db.prepare('SELECT COUNT(*) AS n FROM posts WHERE title LIKE ?');

/** A post's card, cached a minute: read again and again, it is a cache hit after the first. */
function postSummary(id) {
  return cached(`post:${id}:summary`, 60, () => {
    const post = getPost.get(id);
    return post && { id: post.id, title: post.title, author: post.author, comments: getComments.all(post.id).length };
  });
}

/** Search counts, cached by their query: every query differs, so this key pattern always misses. */
function search(q) {
  return cached(`search:${q}`, 60, () => ({ q, posts: countPosts.get(`%${q}%`).n }));
}

const sessions = new Map();

function createSession(req) {
  const id = crypto.randomUUID();
  const agent = req.headers['user-agent'] || '';
  // ~20 KB per session, a browsing history kept "for analytics"; nothing ever deletes a session.
  sessions.set(id, { id, history: Array.from({ length: 250 }, (_, i) => ({ path: `/posts/${i % 50}`, at: Date.now(), agent })) }); // leak: grows forever
  return id;
}

function send(res, status, body) {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

function route(req, res) {
  const url = new URL(req.url, 'http://localhost');
  const postId = /^\/posts\/(\d+)$/.exec(url.pathname);
  if (req.method === 'GET' && url.pathname === '/health') return send(res, 200, { ok: true });
  if (req.method === 'GET' && url.pathname === '/posts') {
    const limit = Math.min(Math.max(Number(url.searchParams.get('limit')) || 10, 1), 50);
    return send(res, 200, listPosts.all(limit));
  }
  if (req.method === 'GET' && postId) {
    const post = getPost.get(Number(postId[1]));
    if (!post) return send(res, 404, { error: 'no such post' });
    return send(res, 200, { ...post, comments: getComments.all(post.id) });
  }
  if (req.method === 'GET' && url.pathname === '/posts-with-authors') return send(res, 200, postsWithAuthors());
  const summaryId = /^\/posts\/(\d+)\/summary$/.exec(url.pathname);
  if (req.method === 'GET' && summaryId) {
    return postSummary(Number(summaryId[1])).then((card) => (card ? send(res, 200, card) : send(res, 404, { error: 'no such post' })), (err) => send(res, 500, { error: String(err.message) }));
  }
  if (req.method === 'GET' && url.pathname === '/search') {
    return search(url.searchParams.get('q') || '').then((r) => send(res, 200, r), (err) => send(res, 500, { error: String(err.message) }));
  }
  if (req.method === 'POST' && url.pathname === '/sessions') {
    req.resume();
    return req.on('end', () => send(res, 201, { id: createSession(req), active: sessions.size }));
  }
  send(res, 404, { error: 'not found' });
}

const server = http.createServer((req, res) => {
  try {
    route(req, res);
  } catch (err) {
    send(res, 500, { error: String(err && err.message) });
  }
});

server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`demo app listening on http://127.0.0.1:${server.address().port}`);
});

// Stop cleanly when the profiler (or Ctrl-C) asks.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    server.close();
    server.closeAllConnections();
    closeCache();
    db.close();
    setTimeout(() => process.exit(0), 1000).unref(); // in case something else holds the loop
  });
}
