/** The package's entry point (package.json "exports"): the TypeScript client of Baton. */
export * from "./client/index.js";
