// Builds dist/db/pglite-snapshot.tar: a migrated, empty embedded database that `herald server`
// unpacks into a fresh data directory instead of running initdb and every migration (run by `npm run build`).
import { buildPGliteSnapshot, PGLITE_SNAPSHOT } from '../dist/db/pglite.js';

await buildPGliteSnapshot();
console.log(`wrote ${PGLITE_SNAPSHOT.replace(process.cwd() + '/', '')}`);
