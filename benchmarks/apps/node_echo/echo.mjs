// The echo round trip's `$default` route in Node.js (an ES module): answers every frame with the
// same text, as benchmarks/apps/echo/echo.py does; `whoami` answers with the caller's connection id.
export const handler = async (event) => {
  let body = event.body ?? '';
  if (body === 'whoami') body = event.requestContext.connectionId;
  return { statusCode: 200, body };
};
