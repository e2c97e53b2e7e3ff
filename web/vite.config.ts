import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));

/**
 * The console's build: static files in dist/web that the orchestrator serves under
 * `{base}/{org}/{tenant}/orchestrator_/`. Relative asset URLs (`base: "./"`), since the
 * organization and tenant in the path vary; Preact's JSX through Vite's oxc transform.
 */
export default defineConfig({
  root,
  base: "./",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: fileURLToPath(new URL("../dist/web", import.meta.url)),
    // A rebuild on a running node (or by another checkout's npm run build) must not leave a
    // moment without index.html or the assets an open page still loads: the old hashed
    // files stay (a few hundred kB a build) and index.html is replaced last.
    emptyOutDir: false,
    sourcemap: true,
    target: "es2022",
  },
  logLevel: "warn",
});
