#!/usr/bin/env node
import { main } from '../dist/src/cli/main.js';

// Once `serve` has stopped (or failed to start), nothing may keep the process alive for long: the
// timer is unreferenced, so it fires only if something forgotten still holds the event loop. Client
// commands are left alone: they may still be writing to a slow pipe.
const serving = process.argv[2] === 'serve';

// `openmnt sessions | head`: the reader has gone, so there is nothing left to print for; stop quietly.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});
const exitSoon = (code) => serving && setTimeout(() => process.exit(code), 5000).unref();

main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
    exitSoon(process.exitCode ?? 0);
  },
  (error) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
    exitSoon(1);
  },
);
