#!/usr/bin/env node
// After `vite build`: the portal must talk to the API relatively (the daemon
// or nginx serves both), so no absolute URL to /graphql may be in the bundle,
// and index.html must load its assets from `/`.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const problems = [];

const html = await readFile(join(dist, 'index.html'), 'utf8');
for (const m of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
  const url = m[1];
  if (!url.startsWith('/') && !url.startsWith('data:')) problems.push(`index.html loads ${url}`);
}

const assets = await readdir(join(dist, 'assets'));
let endpointSeen = false;
for (const file of assets.filter((f) => f.endsWith('.js'))) {
  const js = await readFile(join(dist, 'assets', file), 'utf8');
  for (const m of js.matchAll(/\b(?:https?|wss?):\/\/[^\s"'`]*\/graphql/g)) problems.push(`${file}: ${m[0]}`);
  endpointSeen ||= js.includes('"/graphql"') || js.includes('`/graphql`') || js.includes("'/graphql'");
}
if (!endpointSeen) problems.push('no relative "/graphql" endpoint found in the bundle');

if (problems.length) {
  console.error(`check-bundle: the build is not host-relative:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('check-bundle: API endpoints are relative; assets load from /');
