#!/usr/bin/env node
// CommonJS (bin/package.json), so that this runs before anything uses libuv's thread pool:
// Node's loader reads an ES module entry through the pool, which starts it at its size then.
//
// The pool (4 threads unless UV_THREADPOOL_SIZE says otherwise) syncs SQLite's WAL, which
// every acknowledged write waits for, and also runs DNS lookups (webhooks: 2 at once at most),
// password hashing (2 at once at most), WebCrypto and file reads. 8 threads keep places for
// the syncs while the others are busy. An operator's own UV_THREADPOOL_SIZE (1 to 1024) is
// kept; anything else (empty: libuv would run 1 thread; negative: 1,024) is replaced by 8.
const given = process.env.UV_THREADPOOL_SIZE;
if (given === undefined || !/^\s*[1-9]\d*\s*$/.test(given) || Number(given) > 1024) {
  if (given !== undefined) console.error(`UV_THREADPOOL_SIZE='${given}' is not a number of threads from 1 to 1024: using 8.`);
  process.env.UV_THREADPOOL_SIZE = "8";
}
import("../dist/cli/main.js").catch((err) => {
  console.error(err);
  process.exit(1);
});
