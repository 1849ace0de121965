// The kit's own runtime client for Lambda's Node.js runtimes (nodejs20.x, nodejs22.x, nodejs24.x).
//
// Plain JavaScript, no npm dependency. custom_worker.py runs it in place of a zip's `bootstrap`
// (the parent names it in _WORKSHOP_BOOTSTRAP, see runtime/node.py), so it speaks the Lambda
// Runtime API at AWS_LAMBDA_RUNTIME_API exactly as a custom runtime does: GET next, POST
// response or error, POST init/error. It mirrors AWS's aws-lambda-nodejs-runtime-interface-client:
// - nodejs20.x and nodejs22.x as its 3.x line runs them (Runtime.js, CallbackContext.js,
//   UserFunction.js): async and callback handlers, context.done/succeed/fail and
//   callbackWaitsForEmptyEventLoop, a warning at init for a callback handler;
// - nodejs24.x and later as its 4.x line runs them: async handlers only; a callback handler
//   (three parameters) fails the init with Runtime.CallbackHandlerDeprecated; the context has
//   no callback methods.
// The handler is found as UserFunction.js finds it: "dir/file.export.nested" under
// LAMBDA_TASK_ROOT, the file as is, then .js (CommonJS, or an ES module when the nearest
// package.json up to the task root says "type": "module"), .mjs, .cjs, then require's search.
// console.* lines go to _LAMBDA_TELEMETRY_LOG_FD as Lambda's telemetry frames (one record per
// call, multi-line messages included), framed "<time>\t<requestId>\t<LEVEL>\t<message>".

import fs from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import util from "node:util";

const require = createRequire(import.meta.url);
const API_PREFIX = "/2018-06-01/runtime";
const RUNTIME = (process.env.AWS_EXECUTION_ENV || "").replace(/^AWS_Lambda_/, "");
const MAJOR = Number(/^nodejs(\d+)/.exec(RUNTIME)?.[1] ?? process.versions.node.split(".")[0]);
const LEGACY = MAJOR < 24; // the runtime interface client's 3.x line (callbacks allowed)

// ---------------------------------------------------------------- errors, as the client names them

function runtimeError(name) {
  const type = class extends Error {};
  Object.defineProperty(type, "name", { value: name });
  type.prototype.name = `Runtime.${name}`;
  return type;
}

const ImportModuleError = runtimeError("ImportModuleError");
const HandlerNotFound = runtimeError("HandlerNotFound");
const MalformedHandlerName = runtimeError("MalformedHandlerName");
const UserCodeSyntaxError = runtimeError("UserCodeSyntaxError");
const CallbackHandlerDeprecated = runtimeError("CallbackHandlerDeprecated");
const JSONStringifyError = runtimeError("JSONStringifyError");
const NodeJsExit = runtimeError("NodeJsExit");

class UnhandledPromiseRejection extends Error {
  constructor(reason, promise) {
    super(reason);
    this.reason = reason;
    this.promise = promise;
  }
}
UnhandledPromiseRejection.prototype.name = "Runtime.UnhandledPromiseRejection";

const CALLBACK_REMOVED =
  "ERROR: AWS Lambda has removed support for callback-based function handlers starting with" +
  " Node.js 24. You need to modify this function to use a supported handler signature to use" +
  " Node.js 24 or later. For more information see" +
  " https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.";
const CALLBACK_WARNING =
  "AWS Lambda plans to remove support for callback-based function handlers starting with" +
  " Node.js 24. You will need to update this function to use an async handler to use Node.js 24" +
  " or later. For more information and to provide feedback on this change, see" +
  " https://github.com/aws/aws-lambda-nodejs-runtime-interface-client/issues/137. To disable" +
  " this warning, set the AWS_LAMBDA_NODEJS_DISABLE_CALLBACK_WARNING environment variable.";
const NODE_JS_EXIT =
  "The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly" +
  " caused by a Promise that was never settled. For more information, see" +
  " https://nodejs.org/docs/latest/api/process.html#exit-codes";

function isErrorLike(value) {
  return (
    util.types.isNativeError(value) ||
    value instanceof Error ||
    (value &&
      typeof value.name === "string" &&
      typeof value.message === "string" &&
      typeof value.stack === "string")
  );
}

/** The body of POST error and init/error: {errorType, errorMessage, trace}. */
function toRapidResponse(error) {
  try {
    if (isErrorLike(error)) {
      return {
        errorType: error.name,
        errorMessage: error.message,
        trace: typeof error.stack === "string" ? error.stack.split("\n") : [],
      };
    }
    return { errorType: typeof error, errorMessage: String(error), trace: [] };
  } catch {
    return {
      errorType: "handled",
      errorMessage:
        "callback called with Error argument, but there was a problem while retrieving one or" +
        " more of its message, name, and stack",
    };
  }
}

function withEnumerableProperties(value) {
  if (value instanceof Error) {
    const copy = Object.assign(
      { errorType: value.name, errorMessage: value.message, code: value.code },
      value,
    );
    if (typeof value.stack === "string") copy.stack = value.stack.split("\n");
    return copy;
  }
  return value;
}

/** An error as the log shows it: a tab, then its JSON (stack as lines). */
function toFormatted(error) {
  try {
    return "\t" + JSON.stringify(error, (_key, value) => withEnumerableProperties(value));
  } catch {
    return "\t" + JSON.stringify(toRapidResponse(error));
  }
}

function intoError(error) {
  return error instanceof Error ? error : new Error(error);
}

// ---------------------------------------------------------------- logs

const LEVELS = {
  TRACE: { name: "TRACE", priority: 1, tlvMask: 0b00100 },
  DEBUG: { name: "DEBUG", priority: 2, tlvMask: 0b01000 },
  INFO: { name: "INFO", priority: 3, tlvMask: 0b01100 },
  WARN: { name: "WARN", priority: 4, tlvMask: 0b10000 },
  ERROR: { name: "ERROR", priority: 5, tlvMask: 0b10100 },
  FATAL: { name: "FATAL", priority: 6, tlvMask: 0b11000 },
};
const FRAME_TEXT = 0xa55a0003;
const FRAME_JSON = 0xa55a0002;
const JSON_FORMAT = (process.env.AWS_LAMBDA_LOG_FORMAT || "").toUpperCase() === "JSON";
const MIN_LEVEL = LEVELS[(process.env.AWS_LAMBDA_LOG_LEVEL || "").toUpperCase()] ?? LEVELS.TRACE;
const telemetryFd = (() => {
  const given = process.env._LAMBDA_TELEMETRY_LOG_FD;
  delete process.env._LAMBDA_TELEMETRY_LOG_FD;
  return given === undefined ? null : parseInt(given, 10);
})();
// The request id of the lines: 3.x writes "undefined" before the first invoke, 4.x "-".
let requestId = LEGACY ? undefined : "-";
const header = Buffer.alloc(16);

function errorReplacer(_key, value) {
  if (value instanceof Error) {
    return Object.assign(
      {
        errorType: value?.constructor?.name ?? "UnknownError",
        errorMessage: value.message,
        stackTrace: typeof value.stack === "string" ? value.stack.split("\n") : value.stack,
      },
      value,
    );
  }
  return value;
}

function jsonLine(time, level, message, params) {
  const record = { timestamp: time, level: level.name, requestId: requestId };
  if (params.length === 0) {
    record.message = message;
    try {
      return JSON.stringify(record, errorReplacer);
    } catch {
      record.message = util.format(record.message);
      return JSON.stringify(record);
    }
  }
  record.message = util.format(message, ...params);
  const error = params.find((param) => param instanceof Error);
  if (error) {
    record.errorType = error?.constructor?.name ?? "UnknownError";
    record.errorMessage = error.message;
    record.stackTrace = typeof error.stack === "string" ? error.stack.split("\n") : [];
  }
  return JSON.stringify(record);
}

function log(level, message, ...params) {
  const now = new Date();
  const time = now.toISOString();
  const line = JSON_FORMAT
    ? jsonLine(time, level, message, params)
    : `${time}\t${requestId}\t${level.name}\t${util.format(message, ...params)}\n`;
  if (telemetryFd === null) {
    process.stdout.write(line.replace(/\n(?!$)/g, "\r").replace(/\n?$/, "\n"));
    return;
  }
  const bytes = Buffer.from(line, "utf8");
  header.writeUInt32BE(((JSON_FORMAT ? FRAME_JSON : FRAME_TEXT) | level.tlvMask) >>> 0, 0);
  header.writeInt32BE(bytes.length, 4);
  header.writeBigInt64BE(BigInt(now.valueOf()) * 1000n, 8);
  fs.writeSync(telemetryFd, header);
  fs.writeSync(telemetryFd, bytes);
}

function patchConsole() {
  const nothing = () => {};
  const at = (level) =>
    level.priority >= MIN_LEVEL.priority ? (message, ...params) => log(level, message, ...params) : nothing;
  console.trace = at(LEVELS.TRACE);
  console.debug = at(LEVELS.DEBUG);
  console.info = at(LEVELS.INFO);
  console.warn = at(LEVELS.WARN);
  console.error = at(LEVELS.ERROR);
  console.fatal = at(LEVELS.FATAL);
  console.log = console.info;
}

/** "Invoke Error", "Uncaught Exception"...: one ERROR line with the error's JSON. */
function logError(what, error) {
  if (JSON_FORMAT) console.error(intoError(error));
  else console.error(what, toFormatted(intoError(error)));
}

// ---------------------------------------------------------------- the Runtime API

const [apiHost, apiPort] = (process.env.AWS_LAMBDA_RUNTIME_API || "").split(":");
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function call(method, route, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(body, "utf8");
    const request = http.request(
      {
        host: apiHost,
        port: Number(apiPort),
        method,
        path: API_PREFIX + route,
        agent,
        headers: data ? { ...headers, "Content-Type": "application/json", "Content-Length": data.length } : headers,
      },
      (response) => {
        const chunks = [];
        response.on("data", (chunk) => chunks.push(chunk));
        response.on("end", () =>
          resolve({ headers: response.headers, body: Buffer.concat(chunks).toString("utf8") }),
        );
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(data);
  });
}

function serialize(result) {
  try {
    return JSON.stringify(result === undefined ? null : result);
  } catch {
    throw new JSONStringifyError("Unable to stringify response body");
  }
}

const client = {
  next: () => call("GET", "/invocation/next"),
  async postResponse(id, result) {
    let body;
    try {
      body = serialize(result);
    } catch (error) {
      logError("Invoke Error", error);
      return this.postError(id, error);
    }
    await call("POST", `/invocation/${encodeURIComponent(id)}/response`, body);
  },
  async postError(id, error) {
    const response = toRapidResponse(error);
    await call("POST", `/invocation/${encodeURIComponent(id)}/error`, JSON.stringify(response), {
      "Lambda-Runtime-Function-Error-Type": response.errorType,
    });
  },
  async postInitError(error) {
    const response = toRapidResponse(error);
    await call("POST", "/init/error", JSON.stringify(response), {
      "Lambda-Runtime-Function-Error-Type": response.errorType,
    });
  },
};

// ---------------------------------------------------------------- the handler

/** The nearest package.json up to the task root (AWS's /var/task has none above it). */
function typeModule(folder, root) {
  const manifest = path.join(folder, "package.json");
  if (fs.existsSync(manifest)) {
    try {
      return JSON.parse(fs.readFileSync(manifest, "utf8"))?.type === "module";
    } catch (error) {
      console.warn(
        `${manifest} cannot be read, it will be ignored for ES module detection purposes.`,
        error,
      );
      return false;
    }
  }
  if (folder.endsWith("/node_modules") || folder === root || path.dirname(folder) === folder) {
    return false;
  }
  return typeModule(path.dirname(folder), root);
}

function tryRequire(file) {
  return fs.existsSync(file) ? require(file) : undefined;
}

async function tryImport(file) {
  return fs.existsSync(file) ? await import(pathToFileURL(file).href) : undefined;
}

async function loadModule(root, moduleRoot, name) {
  const file = path.resolve(root, moduleRoot, name);
  const extensionless = tryRequire(file);
  if (extensionless) return extensionless;
  const esm = typeModule(path.dirname(file), path.resolve(root));
  if (!esm) {
    const loaded = tryRequire(`${file}.js`);
    if (loaded) return loaded;
  }
  const loaded =
    (esm && (await tryImport(`${file}.js`))) ||
    (await tryImport(`${file}.mjs`)) ||
    tryRequire(`${file}.cjs`);
  if (loaded) return loaded;
  return require(require.resolve(name, { paths: [root, moduleRoot] }));
}

function resolvePath(object, property) {
  return property.split(".").reduce((nested, key) => nested && nested[key], object);
}

async function loadHandler(root, handlerString) {
  if (handlerString.includes("..")) {
    throw new MalformedHandlerName(
      `'${handlerString}' is not a valid handler name. Use absolute paths when specifying root` +
        " directories in handler names.",
    );
  }
  const base = path.basename(handlerString);
  const moduleRoot = handlerString.substring(0, handlerString.indexOf(base));
  const match = base.match(/^([^.]*)\.(.*)$/);
  if (!match) throw new MalformedHandlerName("Bad handler");
  const [, name, property] = match;
  let app;
  try {
    app = await loadModule(root, moduleRoot, name);
  } catch (error) {
    if (error instanceof SyntaxError) throw new UserCodeSyntaxError(error);
    if (error?.code === "MODULE_NOT_FOUND") throw new ImportModuleError(error);
    throw error;
  }
  let handler = resolvePath(app, property);
  if (!handler && !LEGACY && app && typeof app === "object" && "default" in app) {
    handler = resolvePath(app.default, property);
  }
  if (!handler) throw new HandlerNotFound(`${handlerString} is undefined or not exported`);
  if (typeof handler !== "function") throw new HandlerNotFound(`${handlerString} is not a function`);
  return handler;
}

function isAsync(handler) {
  return handler?.constructor?.name === "AsyncFunction";
}

// ---------------------------------------------------------------- the context

function environmentData() {
  return {
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
  };
}

function parseJson(text, name) {
  if (text === undefined || text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`Cannot parse ${name} as json: ${error.toString()}`);
  }
}

function headerData(headers) {
  const deadline = Number(headers["lambda-runtime-deadline-ms"]);
  return {
    clientContext: parseJson(headers["lambda-runtime-client-context"], "ClientContext"),
    identity: parseJson(headers["lambda-runtime-cognito-identity"], "CognitoIdentity"),
    invokedFunctionArn: headers["lambda-runtime-invoked-function-arn"],
    awsRequestId: headers["lambda-runtime-aws-request-id"],
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
}

function startInvoke(headers) {
  requestId = headers["lambda-runtime-aws-request-id"];
  globalThis[Symbol.for("workshop.lambda.requestId")] = requestId; // redirect.cjs's header
  if (headers["lambda-runtime-trace-id"]) {
    process.env._X_AMZN_TRACE_ID = headers["lambda-runtime-trace-id"];
  } else {
    delete process.env._X_AMZN_TRACE_ID;
  }
  return requestId;
}

// ---------------------------------------------------------------- uncaught errors

const errorCallbacks = {
  // Before any invoke: the init fails. During one: that invoke fails. The process then exits.
  uncaughtException: (error) => client.postInitError(error).finally(() => process.exit(129)),
  unhandledRejection: (error) => client.postInitError(error).finally(() => process.exit(128)),
};

function failCurrentInvoke(id) {
  errorCallbacks.uncaughtException = (error) =>
    client.postError(id, error).finally(() => process.exit(129));
  errorCallbacks.unhandledRejection = (error) =>
    client.postError(id, error).finally(() => process.exit(128));
}

process.on("uncaughtException", (error) => {
  logError("Uncaught Exception", error);
  errorCallbacks.uncaughtException(error);
});

process.on("unhandledRejection", (reason, promise) => {
  const error = new UnhandledPromiseRejection(reason?.toString(), promise);
  logError("Unhandled Promise Rejection", error);
  errorCallbacks.unhandledRejection(error);
});

// What runs when the event loop is empty (3.x: a callback's result waits for it).
let beforeExit = () => {};
process.on("beforeExit", () => beforeExit());

// ---------------------------------------------------------------- nodejs20.x, nodejs22.x

function callbackContext(id, scheduleNext) {
  let completed = false;
  let waitForEmptyEventLoop = true;
  const postError = (error) => {
    logError("Invoke Error", error);
    client.postError(id, error).then(scheduleNext, fatal);
  };
  const complete = (result) => {
    if (completed) {
      console.error(
        "Invocation has already been reported as done. Cannot call complete more than once per invocation.",
      );
      return;
    }
    completed = true;
    client.postResponse(id, result).then(scheduleNext, fatal);
  };
  const callback = (error, result) => {
    beforeExit = () => {};
    if (error !== undefined && error !== null) postError(error);
    else if (!waitForEmptyEventLoop) complete(result);
    else beforeExit = () => setImmediate(() => complete(result));
  };
  const done = (error, result) => {
    beforeExit = () => {};
    if (error !== undefined && error !== null) postError(error);
    else complete(result);
  };
  const context = {
    get callbackWaitsForEmptyEventLoop() {
      return waitForEmptyEventLoop;
    },
    set callbackWaitsForEmptyEventLoop(value) {
      waitForEmptyEventLoop = value;
    },
    succeed: (result) => done(null, result),
    fail: (error) => (error === undefined || error === null ? done("handled") : done(error, null)),
    done,
  };
  // Only the first of callback, done, succeed and fail counts.
  let finished = false;
  const once =
    (call) =>
    (...args) => {
      if (!finished) {
        call(...args);
        finished = true;
      }
    };
  context.succeed = once(context.succeed);
  context.fail = once(context.fail);
  context.done = once(context.done);
  return [once(callback), context, () => (completed = true)];
}

function runLegacy(handler) {
  const handlerIsAsync = isAsync(handler);
  const scheduleNext = () => setImmediate(() => handleOnce().catch(fatal));
  async function handleOnce() {
    const { headers, body } = await client.next();
    const id = startInvoke(headers);
    const [callback, context, markCompleted] = callbackContext(id, scheduleNext);
    try {
      failCurrentInvoke(id);
      beforeExit = () => {
        markCompleted();
        beforeExit = () => {};
        if (handlerIsAsync) {
          const error = new NodeJsExit(NODE_JS_EXIT);
          logError("Invoke Error", error);
          client.postError(id, error).then(scheduleNext, fatal);
        } else {
          client.postResponse(id, null).then(scheduleNext, fatal);
        }
      };
      const result = handler(
        JSON.parse(body),
        Object.assign(context, environmentData(), headerData(headers)),
        callback,
      );
      if (result && typeof result.then === "function") {
        result.then(context.succeed, context.fail).catch(context.fail);
      }
    } catch (error) {
      callback(error);
    }
  }
  scheduleNext();
}

// ---------------------------------------------------------------- nodejs24.x and later

async function runCurrent(handler) {
  for (;;) {
    const { headers, body } = await client.next();
    const id = startInvoke(headers);
    failCurrentInvoke(id);
    try {
      const context = Object.assign(environmentData(), headerData(headers));
      // A promise that never settles empties the event loop: Runtime.NodeJsExit, as on AWS.
      const unsettled = new Promise((_resolve, reject) => {
        beforeExit = () => reject(new NodeJsExit(NODE_JS_EXIT));
      });
      const result = await Promise.race([
        (async () => handler(JSON.parse(body), context))(),
        unsettled,
      ]);
      await new Promise((resolve) => setImmediate(resolve));
      await client.postResponse(id, result);
    } catch (error) {
      await new Promise((resolve) => setImmediate(resolve));
      logError("Invoke Error", error);
      await client.postError(id, error);
    }
    beforeExit = () => {};
    requestId = "-";
  }
}

// ---------------------------------------------------------------- start

function fatal(error) {
  console.error(`Unexpected Top Level Error: ${error}`);
  process.exit(1);
}

async function main() {
  patchConsole();
  const root = process.env.LAMBDA_TASK_ROOT || process.cwd();
  let handler;
  try {
    handler = await loadHandler(root, process.env._HANDLER || "");
    const takesCallback = handler.length >= 3;
    if (!LEGACY && takesCallback) throw new CallbackHandlerDeprecated(CALLBACK_REMOVED);
    if (
      LEGACY &&
      handler.length === 3 &&
      !isAsync(handler) &&
      process.env.AWS_LAMBDA_NODEJS_DISABLE_CALLBACK_WARNING === undefined
    ) {
      console.warn(CALLBACK_WARNING);
    }
  } catch (error) {
    logError(LEGACY ? "Uncaught Exception" : "Init Error", error);
    await client.postInitError(error).catch(() => {});
    process.exit(LEGACY ? 129 : 1);
  }
  if (LEGACY) runLegacy(handler);
  else runCurrent(handler).catch(fatal);
}

main();
