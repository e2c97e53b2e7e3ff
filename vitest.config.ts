import { defineConfig } from "vitest/config";

/**
 * One suite, two stores: every integration test runs on embedded SQLite and again on
 * PostgreSQL (each test server in a schema of its own on 127.0.0.1:5432). Unit tests and
 * the tests that drive child processes by hand run once.
 */
const once = ["test/unit/**", "test/store/transactions.test.ts", "test/store/identityCatalog.test.ts", "test/store/groupCommit.test.ts", "test/store/pgNotifier.test.ts", "test/snippets.test.ts", "test/jobPaging.test.ts", "test/process.test.ts", "test/robotRuntime.test.ts", "test/storeContract.test.ts", "test/multiNode.test.ts", "test/cli.test.ts", "test/browser/**"];

export default defineConfig({
  test: {
    // safety nets, not measures of speed: a shared 2-core machine may run a test slowly, and
    // only a hang should fail it
    testTimeout: 90_000,
    hookTimeout: 90_000,
    pool: "forks",
    // vitest's default is one worker on a 2-core machine (cores − 1); the integration files
    // mostly wait on sockets, timers and child processes, so three at a time use the cores
    // without starving one another (test/robotRuntime.test.ts's real-time lease block has a
    // lease of 6 heartbeats for that)
    maxWorkers: 3,
    // every test server logs at info into a run directory; its teardown fails the run on a secret in any log
    globalSetup: ["test/globalSetup.ts"],
    setupFiles: ["test/helpers/recordSecrets.ts"],
    // each project extends this root config (timeouts, pool); without `extends` they would not
    projects: [
      { extends: true, test: { name: "sqlite", include: ["test/**/*.test.ts"], env: { BATON_TEST_STORE: "sqlite" } } },
      { extends: true, test: { name: "postgres", include: ["test/**/*.test.ts"], exclude: once, env: { BATON_TEST_STORE: "postgres" } } },
    ],
  },
});
