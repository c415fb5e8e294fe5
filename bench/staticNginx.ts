import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Where a throw-away nginx keeps its config, pid, logs and temp files. */
export interface NginxLayout {
  prefix: string;
  docroot: string;
  configFile: string;
  port: number;
}

/**
 * A minimal nginx config for static pages: what a platform team would write
 * to serve a pre-rendered simple index (sendfile, keep-alive, no access log),
 * with everything nginx writes kept inside `prefix`. keepalive_requests is
 * raised so nginx, like Node, never closes a busy keep-alive connection.
 */
export function renderNginxConfig(layout: NginxLayout, options: { runAsRoot: boolean }): string {
  const p = (name: string) => join(layout.prefix, name);
  return `daemon off;
master_process on;
worker_processes auto;
${options.runAsRoot ? 'user root;\n' : ''}pid ${p('nginx.pid')};
error_log ${p('error.log')} warn;
events { worker_connections 4096; }
http {
  types { text/html html; application/json json; }
  default_type application/octet-stream;
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 65;
  keepalive_requests 1000000;
  client_body_temp_path ${p('client_body')};
  proxy_temp_path ${p('proxy')};
  fastcgi_temp_path ${p('fastcgi')};
  uwsgi_temp_path ${p('uwsgi')};
  scgi_temp_path ${p('scgi')};
  server {
    listen 127.0.0.1:${layout.port};
    root ${layout.docroot};
    index index.html;
  }
}
`;
}

/** Writes the config file (and the temp folders it names). */
export function writeNginxConfig(layout: NginxLayout, options: { runAsRoot: boolean }): void {
  for (const d of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(layout.prefix, d), { recursive: true });
  mkdirSync(layout.docroot, { recursive: true });
  writeFileSync(layout.configFile, renderNginxConfig(layout, options));
}

/** Stores one page as `<docroot><urlPath>index.html`, the file nginx serves for `urlPath`. */
export function writeStaticPage(docroot: string, urlPath: string, body: Buffer): void {
  if (!urlPath.startsWith('/') || !urlPath.endsWith('/') || urlPath.split('/').some((s) => s === '..' || s === '.')) {
    throw new Error(`refusing to write page for path ${JSON.stringify(urlPath)}`);
  }
  const file = join(docroot, urlPath, 'index.html');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, body);
}
