'use strict';
/**
 * Send a Node.js function's AWS calls to the local cloud, as redirect.py does for boto3.
 *
 * Preloaded into every `nodejs*` worker (`node --require redirect.cjs`), before the handler loads.
 * It wraps `https.request`/`https.get` (and `http`'s), the calls both SDK generations make: v3
 * through @smithy/node-http-handler, v2 (`aws-sdk`, bundled in a zip) through its NodeHttpClient.
 *
 * - `https://{apiId}.execute-api.{region}.amazonaws.com/{stage}/@connections/...`, the endpoint
 *   handlers build from the event, goes to `{WORKSHOP_CLOUD_URL}/{apiId}/{stage}/@connections/...`
 *   with the invocation's request id in `X-Workshop-Lambda-Request-Id` (for the trace feed).
 * - Any other `*.amazonaws.com` host goes to `WORKSHOP_CLOUD_URL` with its path and its `Host`
 *   header as signed: v3 already honours AWS_ENDPOINT_URL, v2 does not.
 *
 * The SigV4 headers are left as the SDK signed them: the local cloud checks an @connections
 * signature against the AWS host too (access/sigv4.py). Anything else is not touched.
 * The runtime client names the current invocation in `globalThis[Symbol.for(REQUEST_ID_KEY)]`.
 */

const http = require('node:http');
const https = require('node:https');
const { syncBuiltinESMExports } = require('node:module');
const { URL, urlToHttpOptions } = require('node:url');

const EXECUTE_API_HOST = /^([a-z0-9]+)\.execute-api\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?$/i;
const AWS_HOST = /(^|\.)amazonaws\.com(?:\.cn)?$/i;
const REQUEST_ID_HEADER = 'X-Workshop-Lambda-Request-Id';
const REQUEST_ID_KEY = 'workshop.lambda.requestId';

/** The request's options as one object, and its callback, from any of request()'s forms. */
function normalise(args) {
  let options = {};
  let callback;
  let index = 0;
  if (typeof args[0] === 'string' || args[0] instanceof URL) {
    options = urlToHttpOptions(typeof args[0] === 'string' ? new URL(args[0]) : args[0]);
    index = 1;
  }
  if (args[index] && typeof args[index] === 'object') {
    options = { ...options, ...args[index] };
    index += 1;
  }
  if (typeof args[index] === 'function') callback = args[index];
  return { options, callback };
}

function hostOf(options) {
  const host = options.hostname || options.host || '';
  return host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
}

function hasHeader(headers, name) {
  return Object.keys(headers).some((key) => key.toLowerCase() === name);
}

/** The options for the local cloud, or null when the request is not for an AWS host. */
function rewrite(options, cloud, agent) {
  const host = hostOf(options);
  if (!AWS_HOST.test(host)) return null;
  const headers = { ...(options.headers || {}) };
  let path = options.path || '/';
  const api = EXECUTE_API_HOST.exec(host);
  if (api) {
    path = `/${api[1]}${path.startsWith('/') ? '' : '/'}${path}`;
    const requestId = globalThis[Symbol.for(REQUEST_ID_KEY)];
    if (requestId) headers[REQUEST_ID_HEADER] = String(requestId); // never signed
  } else if (!hasHeader(headers, 'host')) {
    headers.Host = host; // what the SDK signed, and what tells moto a virtual-hosted bucket
  }
  const local = {
    ...options,
    protocol: 'http:',
    host: cloud.hostname,
    hostname: cloud.hostname,
    port: cloud.port || 80,
    path,
    headers,
    agent,
  };
  delete local.servername; // TLS options of the AWS host
  delete local.socketPath;
  delete local.createConnection;
  return local;
}

function install(cloudUrl) {
  if (!cloudUrl || globalThis[Symbol.for('workshop.redirect.installed')]) return false;
  const cloud = new URL(cloudUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });
  const httpRequest = http.request;
  for (const module of [http, https]) {
    const original = module.request;
    const wrapped = function request(...args) {
      const { options, callback } = normalise(args);
      const local = rewrite(options, cloud, agent);
      if (local === null) return original.apply(this, args);
      return callback ? httpRequest(local, callback) : httpRequest(local);
    };
    module.request = wrapped;
    module.get = function get(...args) {
      const request = wrapped(...args);
      request.end();
      return request;
    };
  }
  syncBuiltinESMExports(); // `import { request } from 'node:https'` sees the wrapped one too
  globalThis[Symbol.for('workshop.redirect.installed')] = true;
  return true;
}

module.exports = { install, rewrite, normalise, REQUEST_ID_HEADER, REQUEST_ID_KEY };

install(process.env.WORKSHOP_CLOUD_URL);
