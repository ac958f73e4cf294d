#!/usr/bin/env node
// kspec's executable. It must start on any Node that can run an ES module (an installed
// `kspec` starts on whatever `node` is first on PATH, Node 20 on many machines), so this file is
// plain JavaScript and does as little as possible before it knows the runtime is new enough.
//
// kspec itself needs Node 22.19 or newer (its Kubernetes and HTTP clients do). The package
// depends on the npm `node` package, which installs Node 24 beside it; on an older Node this
// launcher runs kspec with that one instead. In a checkout the code is the TypeScript in src/,
// run by type stripping; a packed package carries dist/, the same code compiled to JavaScript at
// `npm pack`, because Node does not strip types of files under node_modules.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MINIMUM = [22, 19];
const [major, minor] = process.versions.node.split('.').map(Number);
const tooOld = major < MINIMUM[0] || (major === MINIMUM[0] && minor < MINIMUM[1]);

if (tooOld) {
  const runtime = packagedNode();
  // KSPEC_LAUNCHED_BY is set on the re-run: a packaged Node that is itself too old (or not a
  // Node) must end in the message below, not in a loop.
  if (!runtime || process.env.KSPEC_LAUNCHED_BY) {
    const why = runtime
      ? `Its own runtime, the npm package \`node\` installed with it (${runtime}), is too old as well.`
      : 'Its own runtime, the npm package `node` installed with it, is missing (its install script did not run).';
    process.stderr.write(
      `kspec needs Node.js ${MINIMUM.join('.')} or newer (this is ${process.version}, ${process.execPath}).\n${why}\n` +
        'Put Node.js 24 first on PATH, or reinstall kspec with npm allowed to run that script.\n' +
        'In a checkout, `npm ci` installs it and `npx kspec` uses it.\n',
    );
    process.exit(2);
  }
  process.exitCode = await runWith(runtime);
} else {
  // A reader that stops early (`kspec scan ... | head`) closes the pipe: stop quietly, as a shell
  // tool killed by SIGPIPE does, instead of a stack trace.
  process.stdout.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(141);
    throw err;
  });
  // Compiled code of kspec and its libraries is kept on disk (os.tmpdir()/node-compile-cache,
  // or $NODE_COMPILE_CACHE) and reused by the next start: loading what a cluster command needs
  // takes about 0.35 s less. Where nothing can be written the cache is simply not used.
  module.enableCompileCache?.();
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const entry = existsSync(join(root, 'src')) ? '../src/cli/main.ts' : '../dist/cli/main.js';
  const { main } = await import(entry);
  process.exitCode = await main(process.argv.slice(2));
}

/** The Node binary of the `node` dependency, if its install script put one there. */
function packagedNode() {
  try {
    const pkg = createRequire(import.meta.url).resolve('node/package.json');
    const bin = join(dirname(pkg), 'bin', 'node');
    return existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs this same script with another Node and passes its result on. ctrl-c and a closing
 * terminal (SIGINT, SIGHUP) reach the child through the process group already, so those are only
 * waited out here: passed on as well, kspec would see a second signal and skip its graceful
 * shutdown. SIGTERM (`kill`, a service manager) is sent to this process alone and is passed on.
 */
function runWith(node) {
  return new Promise((resolve) => {
    const child = spawn(node, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
      stdio: 'inherit',
      env: { ...process.env, KSPEC_LAUNCHED_BY: process.execPath },
    });
    const handlers = { SIGTERM: () => child.kill('SIGTERM'), SIGINT: () => {}, SIGHUP: () => {} };
    for (const [signal, handler] of Object.entries(handlers)) process.on(signal, handler);
    child.on('error', (err) => {
      process.stderr.write(`kspec: cannot start ${node}: ${err.message}\n`);
      resolve(2);
    });
    child.on('exit', (code, signal) => {
      if (signal) {
        // End the way the child ended, so a caller sees the same signal.
        for (const [s, handler] of Object.entries(handlers)) process.removeListener(s, handler);
        process.kill(process.pid, signal);
        return;
      }
      resolve(code ?? 1);
    });
  });
}
