import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRepo, displayRepo } from '../../src/source/repo-url.ts';

test('credentials are split out of URLs, so the URL kspec stores never carries them', () => {
  assert.deepEqual(parseRepo('https://bot:t0ken@github.com/acme/specs.git'), { kind: 'http', location: 'https://github.com/acme/specs.git', username: 'bot', password: 't0ken' });
  assert.deepEqual(parseRepo('https://github.com/acme/specs.git'), { kind: 'http', location: 'https://github.com/acme/specs.git' });
  assert.equal(displayRepo('https://bot:t0ken@github.com/acme/specs.git'), 'https://github.com/acme/specs.git');
});

test('local paths and file:// URLs are local', () => {
  assert.deepEqual(parseRepo('file:///srv/specs'), { kind: 'local', location: '/srv/specs' });
  assert.deepEqual(parseRepo('./specs'), { kind: 'local', location: './specs' });
  assert.equal(displayRepo('/srv/specs'), '/srv/specs');
});
