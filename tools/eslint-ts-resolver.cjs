// A minimal import resolver for eslint-plugin-boundaries (resolver interface v2): our sources import
// `./x.js` while the file on disk is `./x.ts` (NodeNext ESM). Only relative imports need resolving;
// packages are reported as found-outside so boundaries treats them as external.
// (eslint-import-resolver-typescript would do this, but its native optional dependencies are not
// all on the registry mirror here, which breaks `npm ci` on a clean machine.)
const fs = require('node:fs');
const path = require('node:path');

exports.interfaceVersion = 2;
exports.resolve = function resolve(source, file) {
  if (!source.startsWith('.')) return { found: false };
  const base = path.resolve(path.dirname(file), source);
  const candidates = [base, base.replace(/\.js$/, '.ts'), `${base}.ts`, path.join(base, 'index.ts')];
  for (const c of candidates) {
    try {
      if (fs.statSync(c).isFile()) return { found: true, path: c };
    } catch {
      // try the next candidate
    }
  }
  return { found: false };
};
