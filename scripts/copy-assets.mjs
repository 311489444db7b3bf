#!/usr/bin/env node
// After tsc -b: what the compiler does not make. The serve page's static files go beside the
// compiled server, with the page's loader (contrastive/browser) bundled from the built packages
// by esbuild, so that an installed CLI serves it without esbuild; the CLI entry becomes executable.
import { chmodSync, cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = new URL('../packages/cli/', import.meta.url);
cpSync(new URL('src/serve/page/', cli), new URL('dist/serve/page/', cli), { recursive: true });
const { bundleLoader, builtLoaderFile } = await import(new URL('dist/serve/loader-bundle.js', cli).href);
const loader = builtLoaderFile();
mkdirSync(path.dirname(loader), { recursive: true });
writeFileSync(loader, await bundleLoader('dist'));
console.log(`wrote ${path.relative(fileURLToPath(new URL('..', import.meta.url)), loader)}`);
chmodSync(new URL('dist/cli/main.js', cli), 0o755);
