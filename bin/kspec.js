#!/usr/bin/env node
// kspec's executable. The source is TypeScript that Node runs directly (type stripping), which
// needs Node 22.18 or newer; `npm ci` installs the pinned Node 24 into node_modules/.bin.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`kspec needs Node.js 22.18 or newer (this is ${process.version}); run it through npm (npx kspec) so the project's pinned Node 24 is used.\n`);
  process.exit(2);
}
// A reader that stops early (`kspec scan ... | head`) closes the pipe: stop quietly, as a shell
// tool killed by SIGPIPE does, instead of a stack trace.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(141);
  throw err;
});
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
