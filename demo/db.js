'use strict';
// Creates demo/data/demo.sqlite afresh (authors, posts, comments) and opens it read-only.
// The file is built under a temporary name and renamed into place, so two demo apps started
// at once never see a half-seeded database.
const fs = require('node:fs');
const path = require('node:path');
const Database = require('better-sqlite3');

const AUTHORS = ['Ada', 'Grace', 'Linus', 'Margaret', 'Ken', 'Barbara', 'Dennis', 'Frances', 'Edsger', 'Radia'];

/** One multi-row INSERT per table: the seed itself should not look like an N+1 to the profiler. */
function insertRows(db, table, columns, rows) {
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  db.prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${rows.map(() => tuple).join(', ')}`).run(rows.flat());
}

function seed(db) {
  db.exec(`
    CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL, bio TEXT NOT NULL);
    CREATE TABLE posts (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES authors(id),
                        title TEXT NOT NULL, body TEXT NOT NULL, created_at TEXT NOT NULL);
    CREATE TABLE comments (id INTEGER PRIMARY KEY, post_id INTEGER NOT NULL REFERENCES posts(id),
                           author_id INTEGER NOT NULL REFERENCES authors(id), body TEXT NOT NULL);
    CREATE INDEX comments_post ON comments(post_id);
  `);
  const authors = AUTHORS.map((name, i) => [i + 1, name, `${name} writes about systems.`]);
  const posts = [];
  const comments = [];
  for (let id = 1; id <= 50; id++) {
    const day = String(1 + (id % 28)).padStart(2, '0');
    posts.push([id, 1 + (id % AUTHORS.length), `Post number ${id}`, `Body of post ${id}. `.repeat(20), `2025-01-${day}`]);
    for (let c = 0; c < 3; c++) comments.push([id, 1 + ((id + c) % AUTHORS.length), `Comment ${c + 1} on post ${id}`]);
  }
  db.transaction(() => {
    insertRows(db, 'authors', ['id', 'name', 'bio'], authors);
    insertRows(db, 'posts', ['id', 'author_id', 'title', 'body', 'created_at'], posts);
    insertRows(db, 'comments', ['post_id', 'author_id', 'body'], comments);
  })();
}

function openDatabase(file = path.join(__dirname, 'data', 'demo.sqlite')) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const build = new Database(tmp);
  // A throw-away build: no journal and no fsync, so seeding takes milliseconds.
  build.pragma('journal_mode = OFF');
  build.pragma('synchronous = OFF');
  try {
    seed(build);
    build.close();
    fs.renameSync(tmp, file);
  } finally {
    if (build.open) build.close();
    fs.rmSync(tmp, { force: true });
  }
  return new Database(file, { readonly: true });
}

module.exports = { openDatabase };
