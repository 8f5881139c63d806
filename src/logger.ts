import { pino, type Logger } from 'pino';

/** JSON lines on stdout. Secrets never reach the log: shared secrets and passwords are redacted
 * wherever a caller might pass a configuration object along. */
export function createLogger(level: string, destination: NodeJS.WritableStream = process.stdout): Logger {
  return pino(
    {
      level,
      base: { service: 'openmnt' },
      redact: { paths: ['secret', '*.secret', 'password', '*.password', 'clients[*].secret'], censor: '[redacted]' },
    },
    destination,
  );
}
