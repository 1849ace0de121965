"""Micro-benchmark of the Lambda worker runtime: cold start vs warm invoke latency.

Warm invokes are timed twice: awaited on the runtime's own event loop, as the local cloud's
gateway and Invoke API call it, and from another thread (`runtime.invoke`), as event sources do.

Run: `.venv/bin/python benchmarks/bench_runtime.py [--invokes 200] [--colds 5]`
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import io
import statistics
import time
import zipfile

from infra.local.runtime import FunctionSpec, LambdaRuntime

SOURCES = {
    "plain": "def handler(event, context):\n    return {'echo': event}\n",
    "boto3": "import boto3\ndef handler(event, context):\n    return {'echo': event}\n",
}


def spec_for(name: str, source: str) -> FunctionSpec:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
    code = buffer.getvalue()
    return FunctionSpec(
        name=name,
        arn=f"arn:aws:lambda:us-east-1:123456789012:function:{name}",
        handler="app.handler",
        code_zip=code,
        code_sha256=base64.b64encode(hashlib.sha256(code).digest()).decode(),
        environment={},
        timeout=30,
        memory_mb=128,
    )


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed_ms(runtime: LambdaRuntime, spec: FunctionSpec, event: object) -> float:
    started = time.perf_counter()
    result = runtime.invoke(spec, event)
    assert result.ok, result.payload
    return (time.perf_counter() - started) * 1000


def timed_on_loop_ms(
    runtime: LambdaRuntime, spec: FunctionSpec, event: object, n: int
) -> list[float]:
    """`n` warm invokes awaited one after another on the runtime's loop."""

    async def run() -> list[float]:
        samples = []
        for _ in range(n):
            started = time.perf_counter()
            result = await runtime.invoke_async(spec, event)
            assert result.ok, result.payload
            samples.append((time.perf_counter() - started) * 1000)
        return samples

    return asyncio.run_coroutine_threadsafe(run(), runtime.loop).result()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invokes", type=int, default=200, help="warm invokes per function")
    parser.add_argument("--colds", type=int, default=5, help="cold starts per function")
    args = parser.parse_args()
    event = {"action": "sendmessage", "data": "x" * 100}
    with LambdaRuntime({"WORKSHOP_CLOUD_URL": "http://127.0.0.1:9"}) as runtime:
        for label, source in SOURCES.items():
            spec = spec_for(f"bench-{label}", source)
            colds = []
            for _ in range(args.colds):
                runtime.evict(spec.name)
                colds.append(timed_ms(runtime, spec, event))
            warms = [timed_ms(runtime, spec, event) for _ in range(args.invokes)]
            on_loop = timed_on_loop_ms(runtime, spec, event, args.invokes)
            print(
                f"{label:6} cold start: median {statistics.median(colds):7.1f} ms over {args.colds}"
                f" | warm on the loop: p50 {percentile(on_loop, 0.5):.3f} ms,"
                f" p95 {percentile(on_loop, 0.95):.3f} ms"
                f" | from a thread: p50 {percentile(warms, 0.5):.3f} ms over {args.invokes}"
            )


if __name__ == "__main__":
    main()
