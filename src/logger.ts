import { pino, stdTimeFunctions, type Logger } from 'pino';

/** JSON lines on stdout, each with its time in ISO 8601 (UTC) and its level by name, as log
 * shippers and people read them. Secrets never reach the log: shared secrets and passwords are
 * redacted wherever a caller might pass a configuration object along. */
export function createLogger(level: string, destination: NodeJS.WritableStream = process.stdout): Logger {
  return pino(
    {
      level,
      base: { service: 'openmnt' },
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: ['secret', '*.secret', 'password', '*.password', 'clients[*].secret'], censor: '[redacted]' },
    },
    destination,
  );
}
