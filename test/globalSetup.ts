import { existsSync, rmSync } from "node:fs";
import { newRunDir, scanLogs } from "./helpers/logCapture.js";

/**
 * The whole run's log capture (test/helpers/logCapture.ts): a run directory named in
 * BATON_TEST_LOG_DIR for the workers, and at the end a scan of every captured log for
 * secrets. A secret found fails the run with the file and line (the secret masked).
 * BATON_TEST_KEEP_LOGS=1 keeps the directory of a clean run too. Each project of the
 * config runs this setup; they share the directory, and the first teardown (at the end of
 * the whole run) scans it.
 */
export default function setup(): () => void {
  const dir = process.env.BATON_TEST_LOG_DIR || newRunDir();
  process.env.BATON_TEST_LOG_DIR = dir;
  return () => {
    if (process.env.BATON_TEST_LOGS_SCANNED === dir || !existsSync(dir)) return;
    process.env.BATON_TEST_LOGS_SCANNED = dir;
    const findings = scanLogs(dir);
    if (findings.length) {
      // vitest reports a teardown's error but keeps its exit status: set it too
      process.exitCode = 1;
      const shown = findings.slice(0, 20).map((f) => `  ${dir}/${f.file}:${f.line} (${f.kind}): ${f.text}`).join("\n");
      throw new Error(`Secrets in the logs captured during the suite (${findings.length} lines):\n${shown}${findings.length > 20 ? "\n  …" : ""}`);
    }
    if (!process.env.BATON_TEST_KEEP_LOGS) rmSync(dir, { recursive: true, force: true });
  };
}
