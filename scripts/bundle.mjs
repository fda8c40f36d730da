// Bundles the compiled CLI and server (dist/cli/main.js and what it imports, packages included)
// into dist/bundle/, which bin/herald.js runs: Node.js loads a few files instead of ~1,000 (each
// resolved, read and compiled on its own), ~0.4 s of a cold `herald server` start
// (docs/performance.md, 24.5c). Run by `npm run build` after tsc.
//
// dist/bundle sits two levels below the repository root, as every compiled module does, so the
// paths the code resolves from its own location (migrations, snapshot, dashboard, docs) are the
// same. The embedded engine stays a package of its own: it loads its WebAssembly and file-system
// bundle from beside its modules. Packages the code loads on first use (src/lib/lazy-module.ts)
// are required at run time from node_modules, as before.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

// `node scripts/bundle.mjs <dir>` writes elsewhere (a test bundles into a folder of its own); the
// folder must also sit two levels below the repository root.
const OUT = path.resolve(process.argv[2] ?? fileURLToPath(new URL('../dist/bundle', import.meta.url)));
rmSync(OUT, { recursive: true, force: true });
await build({
  input: { herald: fileURLToPath(new URL('../dist/cli/main.js', import.meta.url)) },
  platform: 'node',
  external: [/^@electric-sql\/pglite(\/|$)/],
  logLevel: 'warn',
  // Class and function names stay as written: errors and logs name them.
  output: { keepNames: true, dir: OUT, format: 'esm', sourcemap: true, entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
});
console.log(`wrote ${path.relative(process.cwd(), path.join(OUT, 'herald.js'))}`);
