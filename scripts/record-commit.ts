// node scripts/record-commit.ts FILE: writes the commit checked out here into FILE (prepack), so
// that `kspec version` names it where the package is installed and no .git is at hand.
import { writeFileSync } from 'node:fs';
import { gitCommit, PACKAGE_ROOT } from '../src/version.ts';

const [file] = process.argv.slice(2);
if (!file) throw new Error('usage: node scripts/record-commit.ts FILE');
writeFileSync(file, `${gitCommit(PACKAGE_ROOT) ?? 'unknown'}\n`);
