// A real Express 5 + MikroORM 6 (@mikro-orm/postgresql, EntitySchema in plain JS) app under
// `perf-lens run`: a RequestContext fork of the EntityManager per request, a JWT middleware that
// loads the user once per request, em.transactional on one write route and a begin/commit
// transaction middleware on another, a pool of 2 against 8 concurrent clients (and 1).
// Every N+1 (Reference.load, Collection.init, wrap().init() fan-out, a repository helper shared by
// two routes' loops, em.findOne in a transaction) must land on the app's own line with its "1"
// query, its exact per-request count and the Express route template; the one-query routes and the
// populate routes must show none.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const jwt = require('jsonwebtoken');
const { startPostgres } = require('../../helpers/postgres');
const { profileApp, markerAt } = require('../../helpers/real-app');
const { whereIn, itChecksAppRunAllAtOnce, itSpeaksTheOrmAndCostsTheSeverity } = require('../../helpers/real-app-expectations');

const APP = path.join(__dirname, '..', '..', 'fixtures', 'real-apps', 'mikro-orm-express');
const { seed } = require(path.join(APP, 'seed.js'));
const file = (rel) => path.join(APP, rel);
const SECRET = 'bookshelf-test-secret';
const TIMES = 10; // requests per route

const BOOK_SERVICE = file('services/book-service.js');
const AUTHOR_SERVICE = file('services/author-service.js');
const REVIEW_SERVICE = file('services/review-service.js');
const TAG_SERVICE = file('services/tag-service.js');
const USER_SERVICE = file('services/user-service.js');
const AUTHORS_CTRL = file('controllers/authors.js');
const TAGS_CTRL = file('controllers/tags.js');
const at = markerAt;

let pg;
let facts;
let token;
before(async () => {
  pg = await startPostgres({ database: 'bookshelf' });
  facts = await seed(pg.connectionString);
  token = jwt.sign({ id: facts.aliceId, username: 'alice-0a1b2c' }, SECRET, { expiresIn: '1h' });
});
after(async () => {
  if (pg) await pg.stop();
});

/** The load: every route TIMES times, interleaved, with route params that vary. */
function plan() {
  const auth = { authorization: `Bearer ${token}` };
  const requests = [];
  for (let i = 0; i < TIMES; i++) {
    requests.push(
      { path: '/api/user', headers: auth },
      { path: '/api/tags' },
      { path: '/api/books', headers: auth },
      { path: '/api/books/feed', headers: auth },
      { path: `/api/books/${facts.books[(i * 7) % facts.books.length]}`, headers: auth },
      { path: `/api/profiles/${facts.readers[(i + 3) % facts.readers.length]}/reviews`, headers: auth },
      { path: '/api/authors', headers: auth },
      { path: `/api/authors/${facts.authors[(i * 3) % facts.authors.length]}/books`, headers: auth },
      { path: `/api/tags/${facts.genres[i % facts.genres.length]}/books` },
      { path: `/api/profiles/${facts.readers[i % facts.readers.length]}`, headers: auth },
      {
        method: 'POST',
        path: `/api/authors/${facts.sandboxAuthor}/books`,
        headers: auth,
        body: { book: { title: `Notes volume ${i}`, year: 2025, tagList: facts.spareTags } },
      },
      { method: 'PATCH', path: `/api/books/${facts.sandboxBook}`, headers: auth, body: { book: { title: `Draft manuscript, take ${i}` } } },
    );
  }
  return requests;
}

/**
 * The N+1s the app has, each with its "1" query and exact count per request of each route; caller:
 * the loop line above a call site shared by 2+ callers, null for a single caller.
 */
function expectedNPlusOnes() {
  return [
    {
      what: 'for…of Reference.load() loop (book.author)',
      at: at(BOOK_SERVICE, 'books-author-loop'),
      one: at(BOOK_SERVICE, 'books-list'),
      scope: 'GET /api/books',
      routes: [{ scope: 'GET /api/books', count: facts.pageSize, caller: null }],
    },
    {
      what: 'for…of Collection.init() loop (author.books)',
      at: at(AUTHOR_SERVICE, 'authors-books-loop'),
      one: at(AUTHOR_SERVICE, 'authors-list'),
      scope: 'GET /api/authors',
      routes: [{ scope: 'GET /api/authors', count: facts.authorsPage, caller: null }],
    },
    {
      what: 'Promise.all fan-out of wrap(review.book).init()',
      at: at(REVIEW_SERVICE, 'reviewed-book-fanout'),
      one: at(REVIEW_SERVICE, 'reader-reviews'),
      scope: 'GET /api/profiles/:username/reviews',
      routes: [{ scope: 'GET /api/profiles/:username/reviews', count: facts.reviewsPerReader, caller: null }],
    },
    {
      what: 'shared EntityRepository.count() helper called from two routes’ loops',
      at: at(REVIEW_SERVICE, 'review-count-helper'),
      one: at(TAG_SERVICE, 'tag-books'), // the worst request is a tag one (24 > 6)
      scope: 'GET /api/tags/:name/books',
      routes: [
        { scope: 'GET /api/authors/:slug/books', count: facts.booksPerAuthor, caller: at(AUTHORS_CTRL, 'author-books-count-loop') },
        { scope: 'GET /api/tags/:name/books', count: facts.booksPerTag, caller: at(TAGS_CTRL, 'tag-books-count-loop') },
      ],
    },
    {
      what: 'em.findOne loop inside em.transactional()',
      at: at(AUTHOR_SERVICE, 'publish-tag-lookup'),
      one: at(AUTHOR_SERVICE, 'publish-author'),
      scope: 'POST /api/authors/:slug/books',
      routes: [{ scope: 'POST /api/authors/:slug/books', count: facts.spareTags.length, caller: null }],
    },
  ];
}

/** Lines that run a fixed number of times per request: never an N+1. */
function cleanLines() {
  return [
    at(file('middleware/auth.js'), 'auth-user'),
    at(TAG_SERVICE, 'tags-list'),
    at(TAG_SERVICE, 'tag-by-name'),
    at(TAG_SERVICE, 'tag-books'),
    at(BOOK_SERVICE, 'books-list'),
    at(BOOK_SERVICE, 'books-feed'),
    at(BOOK_SERVICE, 'book-details'),
    at(BOOK_SERVICE, 'book-by-slug'),
    at(BOOK_SERVICE, 'book-flush'),
    at(AUTHOR_SERVICE, 'authors-list'),
    at(AUTHOR_SERVICE, 'author-by-slug'),
    at(AUTHOR_SERVICE, 'author-books'),
    at(AUTHOR_SERVICE, 'publish-author'),
    at(REVIEW_SERVICE, 'reader-reviews'),
    at(USER_SERVICE, 'profile-user'),
  ];
}

const CLEAN_ROUTES = [
  'GET /api/user', 'GET /api/tags', 'GET /api/books/feed', 'GET /api/books/:slug', 'GET /api/profiles/:username', 'PATCH /api/books/:slug',
];

const where = whereIn(APP);

for (const concurrency of [8, 1]) {
  describe(`mikro-orm-express, ${concurrency} concurrent client(s), pool max 2`, () => {
    let run;
    itSpeaksTheOrmAndCostsTheSeverity(() => run, { speaks: [{ orm: '@mikro-orm/core', fix: /populate: \['relation'\]/ }] });
    before(async () => {
      run = await profileApp({
        entry: file('server.js'),
        env: { DATABASE_URL: pg.connectionString, JWT_SECRET: SECRET, DB_POOL_MAX: '2' },
        concurrency,
        requests: plan(),
        timeoutMs: 60_000,
      });
      if (process.env.SHOW_FINDINGS) console.log(`${concurrency} client(s):\n${run.describe()}`);
    });

    it('sent every request with a 2xx reply', () => {
      assert.equal(run.load.sent, 12 * TIMES);
    });

    itChecksAppRunAllAtOnce(() => run, {
      names: ['books-author-loop', 'authors-books-loop', 'reviewed-book-fanout', 'review-count-helper', 'publish-tag-lookup'],
      expected: expectedNPlusOnes, cleanLines, cleanRoutes: CLEAN_ROUTES, authLine: at(file('middleware/auth.js'), 'auth-user'), times: TIMES, where,
      eagerRoutes: 'the populate routes', authLookup: "the auth middleware's user lookup",
    });
  });
}
