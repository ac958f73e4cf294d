import type { Command } from './command.ts';

/**
 * Commands by name, with the one-line summary `kspec --help` shows. Each lives in its own file and
 * is loaded only when used: the summaries are here so that help loads none of them (a command
 * that reaches a cluster brings the Kubernetes client with it).
 */
export const COMMANDS: Record<string, { summary: string; load: () => Promise<{ default: Command }> }> = {
  validate: { summary: 'Check ClusterSpecifications and ClusterTargets; exit 1 with file:line errors', load: () => import('./commands/validate.ts') },
  render: { summary: 'Print or write the Kyverno policies kspec would apply', load: () => import('./commands/render.ts') },
  plan: { summary: 'Show the drift between the repository and the cluster, changing nothing', load: () => import('./commands/plan.ts') },
  reconcile: { summary: 'Run one full pass: fetch, render, diff, enforce or report, publish', load: () => import('./commands/reconcile.ts') },
  run: { summary: 'Run the poller: reconcile on a schedule and on push webhooks, serve metrics', load: () => import('./commands/run.ts') },
  test: { summary: 'Run Kyverno CLI test suites (kyverno-test.yaml) with the built-in engine', load: () => import('./commands/test.ts') },
  scan: { summary: 'Check manifests offline against a spec or Kyverno policies; exit 1 when an Enforce rule fails', load: () => import('./commands/scan.ts') },
  target: { summary: 'Register a remote cluster: target add NAME prints or applies its ClusterTarget and kubeconfig Secret', load: () => import('./commands/target.ts') },
  uninstall: { summary: 'Delete or keep (released from kspec) the Kyverno policies kspec installed, before removing kspec', load: () => import('./commands/uninstall.ts') },
  version: { summary: "Print kspec's version and commit, and the versions of Node.js and its libraries", load: () => import('./commands/version.ts') },
  completion: { summary: 'Print a shell completion script for bash, zsh or fish', load: () => import('./commands/completion.ts') },
};

/** Every command, loaded: for what needs all their flags at once (shell completion, tests). */
export async function loadCommands(): Promise<{ command: Command; summary: string }[]> {
  return Promise.all(Object.values(COMMANDS).map(async ({ summary, load }) => ({ command: (await load()).default, summary })));
}
