import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderNginxConfig, writeStaticPage } from '../../bench/staticNginx.js';

describe('renderNginxConfig', () => {
  const layout = { prefix: '/tmp/p', docroot: '/tmp/p/www', configFile: '/tmp/p/nginx.conf', port: 4321 };

  it('keeps nginx in the foreground, on loopback, with everything it writes under the prefix', () => {
    const conf = renderNginxConfig(layout, { runAsRoot: false });
    assert.match(conf, /^daemon off;/m);
    assert.match(conf, /listen 127\.0\.0\.1:4321;/);
    assert.match(conf, /access_log off;/);
    assert.match(conf, /sendfile on;/);
    assert.match(conf, /root \/tmp\/p\/www;/);
    for (const m of conf.matchAll(/(?:pid|error_log|_temp_path) (\S+?);?\s/g)) assert.ok(m[1]!.startsWith('/tmp/p/'), m[0]);
    assert.doesNotMatch(conf, /user root/);
  });

  it('names the root user only when asked (nginx warns otherwise)', () => {
    assert.match(renderNginxConfig(layout, { runAsRoot: true }), /^user root;$/m);
  });
});

describe('writeStaticPage', () => {
  it('writes <path>index.html so nginx serves the directory URL', () => {
    const root = mkdtempSync(join(tmpdir(), 'bench-nginx-'));
    try {
      writeStaticPage(root, '/simple/flask/', Buffer.from('<html>'));
      assert.equal(readFileSync(join(root, 'simple/flask/index.html'), 'utf8'), '<html>');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  for (const bad of ['simple/flask/', '/simple/flask', '/simple/../../etc/', '/simple/./x/']) {
    it(`refuses ${JSON.stringify(bad)}`, () => {
      const root = mkdtempSync(join(tmpdir(), 'bench-nginx-'));
      try {
        assert.throws(() => writeStaticPage(root, bad, Buffer.from('x')));
        assert.equal(existsSync(join(root, 'etc')), false);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  }
});
