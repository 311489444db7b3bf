#!/usr/bin/env node
// Builds the native kernels (binding.gyp, csrc/native) at install with npm's node-gyp, quietly.
// Never fails the install: without a C compiler the kernels stay on wasm, and this says so.
import { spawnSync } from 'node:child_process';

const gyp = process.env.npm_config_node_gyp;
const args = ['rebuild', '--loglevel=warn'];
// stdout (make's progress) is dropped; stderr (compiler and gyp errors) is shown.
const stdio = ['ignore', 'ignore', 'inherit'];
const result = gyp
  ? spawnSync(process.execPath, [gyp, ...args], { stdio })
  : spawnSync('node-gyp', args, { stdio, shell: process.platform === 'win32' });
if (result.status !== 0) {
  console.error('@contrastive/kernels-native: the native kernels did not build (is a C compiler installed?); training runs on the wasm kernels');
}
