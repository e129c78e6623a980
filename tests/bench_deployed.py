"""`make bench-deployed`: the cold start of the packaged API function, as Lambda would pay it.

Synthesises the stack, creates it in moto's CloudFormation (tests/deployed/) and signs an admin
in. Then, interleaved, in fresh clean interpreters (`python -I -S`, the function's code and the
layer on the path, nothing else):
- the API function: start the interpreter, import its handler module by the handler string,
  answer one authorised request (GET /api/me, with the authorizer's context as API Gateway
  passes it);
- the floor: start the interpreter and `import chalice, boto3, pynamodb.models` from the layer.
Medians of the rounds, wall-clock from process start to answer.

`python -m tests.bench_deployed [rounds]`
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.deployed.people import bootstrap_admin, choose_password
from tests.deployed.stack import start_stack
from tests.infra.conftest import CONTEXT, HOST_ARCHITECTURE, STACK, _synthesise

FLOOR = "import chalice, boto3, pynamodb.models"


def _floor_ms(task_root: Path, layer: Path) -> float:
    script = (
        "import sys\n"
        f"sys.path[:0] = [{str(task_root)!r},"
        f" {str(layer / 'python' / 'lib' / 'python3.11' / 'site-packages')!r},"
        f" {str(layer / 'python')!r}]\n"
        f"{FLOOR}\n"
    )
    started = time.perf_counter()
    subprocess.run([sys.executable, "-I", "-S", "-c", script], check=True,  # noqa: S603
                   capture_output=True, timeout=60)
    return (time.perf_counter() - started) * 1000


def main(rounds: int = 11) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        context = {**CONTEXT, "architecture": HOST_ARCHITECTURE}
        print(f"synthesising... ({_synthesise(work / 'cdk.out', context):.0f} s)")
        stack = start_stack(work / "cdk.out", work / "cdk.out" / f"{STACK}.template.json", STACK,
                            work)
        try:
            assert bootstrap_admin(stack, "bench.admin@example.test").returncode == 0
            stack.sources.pump_queue(f"parley-{STACK.split('-', 1)[1]}-account_mail")
            admin = choose_password(stack, "bench.admin@example.test")
            api = stack.api
            name = next(r.function for r in api.routes if r.template == "/api/me")
            answer = admin.call("GET", "/api/me")
            assert answer.status == 200, answer.body
            # The request as API Gateway hands it to the function, authorizer context included.
            route, parameters = api._match("GET", "/api/me")
            assert route is not None
            headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in admin.cookies.items()),
                       "Authorization": admin.authorization or "", **api.origin_headers}
            event = api._proxy_event("GET", "/api/me", "/api/api/me", route, parameters,
                                     {"Host": "bench", "User-Agent": "bench", **headers}, [],
                                     None, "bench")
            context, _ = api._authorize(event, route)
            assert isinstance(context, dict)
            event["requestContext"]["authorizer"] = context
            warm = stack.functions.environment(name)
            task_root = None
            cold, floor, imports = [], [], []
            for _ in range(rounds):
                started = time.perf_counter()
                environment = stack.functions.cold_start(name)
                invocation = environment.invoke(event)
                cold.append((time.perf_counter() - started) * 1000)
                imports.append(environment.init_ms)
                assert invocation.result["statusCode"] == 200, invocation.result
                environment.stop()
                task_root = environment.task_root
                floor.append(_floor_ms(environment.task_root, environment.layers[0]))
            print(f"API function cold start (process start, import {warm.configuration['Handler']},"
                  f" one authorised GET /api/me): median {statistics.median(cold):.0f} ms"
                  f" (of which the handler import {statistics.median(imports):.0f} ms)")
            print(f"Floor (process start, {FLOOR}): median {statistics.median(floor):.0f} ms")
            print(f"Ratio: {statistics.median(cold) / statistics.median(floor):.2f}x"
                  f" over {rounds} rounds each, interleaved; task root {task_root}")
        finally:
            stack.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 11)
