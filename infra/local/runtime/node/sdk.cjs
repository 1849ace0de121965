'use strict';
/**
 * The AWS SDK for JavaScript v3 as Lambda's Node.js runtimes provide it, for ES modules too.
 *
 * Preloaded into every `nodejs*` worker (`node --require sdk.cjs`). `require('@aws-sdk/...')`
 * finds the kit's SDK through NODE_PATH, as on Lambda (whose NODE_PATH names
 * /var/runtime/node_modules). ES modules ignore NODE_PATH, so Lambda's runtime resolves their
 * bare imports against those folders itself; here a resolve hook does the same (in this thread
 * with `module.registerHooks` where Node has it, else sdk-resolve.mjs with `module.register`).
 * Node's own resolution comes first, so the function's zip (its node_modules) always wins, and
 * only a package found nowhere is looked for in NODE_PATH's folders. A package in neither (the
 * v2 `aws-sdk`, unless the zip bundles it) fails as on AWS.
 */

const path = require('node:path');
const { pathToFileURL } = require('node:url');
const nodeModule = require('node:module');

const folders = (process.env.NODE_PATH || '').split(path.delimiter).filter(Boolean);

/** For each folder, a parent URL whose first node_modules lookup is that folder. */
function parentsOf(folders) {
  return folders.map((folder) => {
    const resolved = path.resolve(folder);
    const base = path.basename(resolved) === 'node_modules' ? path.dirname(resolved) : resolved;
    return pathToFileURL(path.join(base, '__workshop_nodepath__.mjs')).href;
  });
}

function isBare(specifier) {
  return !/^(?:[./]|[a-z][a-z0-9+.-]*:)/i.test(specifier);
}

/** The synchronous hook (Node 22.15+, 24): Node's resolution, then NODE_PATH's folders. */
function resolveSync(parents) {
  return function resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !isBare(specifier)) throw error;
      for (const parentURL of parents) {
        try {
          return nextResolve(specifier, { ...context, parentURL });
        } catch {
          // not in this folder: the next one, then the original error
        }
      }
      throw error;
    }
  };
}

if (folders.length > 0) {
  if (typeof nodeModule.registerHooks === 'function') {
    // In this thread: no loader thread to start (about 30 ms of every cold start on Node 20).
    nodeModule.registerHooks({ resolve: resolveSync(parentsOf(folders)) });
  } else if (typeof nodeModule.register === 'function') {
    nodeModule.register(pathToFileURL(path.join(__dirname, 'sdk-resolve.mjs')), {
      data: { parents: parentsOf(folders) },
    });
  }
}

// SDK v3 warns once that it will need Node 22 or later. A nodejs22.x or nodejs24.x function that
// the kit runs on an older Node (the one found) would print what it never prints on Lambda.
const runtimeMajor = Number(/^AWS_Lambda_nodejs(\d+)/.exec(process.env.AWS_EXECUTION_ENV)?.[1]);
const QUIET = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';
if (runtimeMajor > Number(process.versions.node.split('.')[0]) && !(QUIET in process.env)) {
  process.env[QUIET] = 'true';
}

module.exports = { parentsOf, isBare };
