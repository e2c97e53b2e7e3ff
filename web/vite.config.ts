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
    emptyOutDir: true,
    sourcemap: true,
    target: "es2022",
  },
  logLevel: "warn",
});
