'use strict';
// The native kernels of @contrastive/kernels, built by node-gyp when this package installs
// (scripts/build-native.mjs). Requiring it throws where the build did not happen (no C
// compiler, --ignore-scripts): @contrastive/kernels then runs its wasm kernels and says why.
const path = require('node:path');
const fs = require('node:fs');

const addon = path.join(__dirname, 'build', 'Release', 'contrastive_native.node');
if (!fs.existsSync(addon)) {
  const err = new Error(`@contrastive/kernels-native was not built (${addon} is missing: no C compiler at install, or install scripts were skipped); rebuild with: npm rebuild @contrastive/kernels-native`);
  err.code = 'CONTRASTIVE_NATIVE_NOT_BUILT'; // @contrastive/kernels tells "not built" from "not installed" by it
  throw err;
}
module.exports = require(addon);
