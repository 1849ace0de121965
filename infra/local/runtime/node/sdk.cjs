'use strict';
/**
 * The AWS SDK for JavaScript v3 as Lambda's Node.js runtimes provide it, for ES modules too.
 *
 * Preloaded into every `nodejs*` worker (`node --require sdk.cjs`). `require('@aws-sdk/...')`
 * finds the kit's SDK through NODE_PATH, as on Lambda (whose NODE_PATH names
 * /var/runtime/node_modules). ES modules ignore NODE_PATH, so Lambda's runtime resolves their
 * bare imports against those folders itself; here a resolve hook (sdk-resolve.mjs, registered
 * with `module.register`) does the same: Node's own resolution first, so the function's zip
 * (its node_modules) always wins, and only a package found nowhere is looked for in NODE_PATH's
 * folders. A package in neither (the v2 `aws-sdk`, unless the zip bundles it) fails as on AWS.
 */

const path = require('node:path');
const { pathToFileURL } = require('node:url');
const nodeModule = require('node:module');

const folders = (process.env.NODE_PATH || '').split(path.delimiter).filter(Boolean);
if (folders.length > 0 && typeof nodeModule.register === 'function') {
  nodeModule.register(pathToFileURL(path.join(__dirname, 'sdk-resolve.mjs')), {
    data: { folders },
  });
}
