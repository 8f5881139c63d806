// Writes man/openmnt.1 from the command table (run after a build: npm run man).
import { writeFileSync } from 'node:fs';
import { manPage } from '../dist/src/cli/man.js';

writeFileSync(new URL('../man/openmnt.1', import.meta.url), manPage());
