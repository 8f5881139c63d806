/** Runs a program to its end and collects what it printed: the tests' one way to run a binary. */
import { spawn } from 'node:child_process';

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** The whole environment of the child (not added to this process's). */
  env?: NodeJS.ProcessEnv;
  /** Written to standard input, which is then closed; without it the child gets no standard input. */
  input?: string;
}

export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    if (options.input !== undefined) child.stdin!.end(options.input);
  });
}

/** The built `openmnt` binary with only PATH and `env` in its environment, as a user's shell would run it. */
export function openmnt(args: readonly string[], env: Record<string, string>, input?: string): Promise<RunResult> {
  return run(process.execPath, ['bin/openmnt.js', ...args], { env: { PATH: process.env.PATH ?? '', ...env }, input });
}
