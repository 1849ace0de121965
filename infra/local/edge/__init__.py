"""The edge: one port where every request of the local cloud arrives.

- `server.py` accepts TCP connections, reads the request head and hands the connection over:
  WebSocket upgrades to the gateway or the trace feed, the rest to `http.py`;
- `http.py` speaks HTTP/1.1 (keep-alive, pipelining, chunked bodies) and calls the router;
- `router.py` sends each request where it belongs: @connections, Lambda Invoke, moto;
- `invoke.py` is Lambda's Invoke API over HTTP; `trace_feed.py` streams the trace hops.
"""
