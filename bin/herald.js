#!/usr/bin/env node
// Runs the bundle that `npm run build` makes (dist/bundle: a cold start loads a few files instead
// of ~1,000), or the compiled modules when there is no bundle or it is older than they are (a bare
// `tsc` since the last build): never stale code.
import { statSync } from 'node:fs';

const mtime = (p) => statSync(new URL(p, import.meta.url), { throwIfNoEntry: false })?.mtimeMs ?? -1;
await import(mtime('../dist/bundle/herald.js') >= mtime('../dist/cli/main.js') ? '../dist/bundle/herald.js' : '../dist/cli/main.js');
