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

test('a token in the URL query is split off like a password: never in the location kspec prints and stores', () => {
  assert.deepEqual(parseRepo('https://gitlab.example/acme/specs.git?private_token=glpat-s3cret&ref=x'), { kind: 'http', location: 'https://gitlab.example/acme/specs.git?ref=x', password: 'glpat-s3cret' });
  assert.deepEqual(parseRepo('https://bot:pw@host/r.git?access_token=t0k'), { kind: 'http', location: 'https://host/r.git', username: 'bot', password: 'pw' }, 'the userinfo password wins; the query token is dropped');
  assert.equal(displayRepo('https://host/r.git?access_token=t0k'), 'https://host/r.git');
});
