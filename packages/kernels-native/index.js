'use strict';
// The native kernels of @contrastive/kernels, built by node-gyp when this package installs
// (scripts/build-native.mjs). Requiring it throws where the build did not happen (no C
// compiler, --ignore-scripts, install scripts not approved): @contrastive/kernels then runs its
// wasm kernels and says why (convEngine().reason, `contrastive backend`).
const path = require('node:path');
const fs = require('node:fs');

const addon = path.join(__dirname, 'build', 'Release', 'contrastive_native.node');
if (!fs.existsSync(addon)) {
  const err = new Error(
    '@contrastive/kernels-native is installed but not built: its install script did not run (--ignore-scripts, or an npm that ' +
      'runs only the install scripts allowScripts approves) or found no C compiler; build it with: npm rebuild @contrastive/kernels-native ' +
      `(npm >= 11.16: npm install-scripts approve @contrastive/kernels-native first) [${addon} is missing]`,
  );
  err.code = 'CONTRASTIVE_NATIVE_NOT_BUILT'; // @contrastive/kernels tells "not built" from "not installed" by it
  throw err;
}
module.exports = require(addon);
