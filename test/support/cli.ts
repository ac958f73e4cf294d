// The kspec CLI in-process, as a user runs it: its exit code and what it printed.
import { main } from '../../src/cli/main.ts';

export async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (s) => void (out += s), stderr: (s) => void (err += s), env: { ...process.env, ...env } });
  return { code, out, err };
}
