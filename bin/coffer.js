#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm run build`, run by `prepare`).
import('../dist/cli/main.js').catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
