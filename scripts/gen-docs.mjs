// Regenerates the documentation that is derived from the code (run after `npm run build`).
import fs from 'node:fs';
import { configurationMarkdown } from '../dist/server/config-docs.js';

fs.writeFileSync(new URL('../docs/configuration.md', import.meta.url), configurationMarkdown());
console.log('wrote docs/configuration.md');
