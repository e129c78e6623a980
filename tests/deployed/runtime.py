"""Lambda's Python runtime, for the functions of the emulated stack.

Each function runs in an execution environment of its own: a clean interpreter (`python -I -S`:
no site-packages, no user site, no PYTHON* variables) whose path is what Lambda's python3.11
gives, `/var/task` (the function's code) then `/opt/python/lib/python3.11/site-packages` and
`/opt/python` (its layers), then the standard library. Its environment is the function's
configuration as moto's Lambda holds it (created from the template), plus what Lambda sets
(AWS_LAMBDA_FUNCTION_NAME, _HANDLER, credentials, region). The one addition is
AWS_ENDPOINT_URL, which points every SDK client at moto's server instead of AWS.

The handler is imported by the handler string of the function's configuration, once (the cold
start, timed); the environment then stays warm and answers invocations one at a time. What the
function prints (stdout and stderr: CloudWatch Logs) is kept per invocation.

What the functions run with is their package: the app zip and the layer, as moto's Lambda holds
them (their CodeSha256 checked). The layer carries boto3 and botocore (requirements.txt pins
both), so the runtime's own SDK, which the layer shadows on AWS, is not needed on the path.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import subprocess
import sys
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.deployed.account import CREDENTIALS, REGION, Account, pseudo

END = "\x1eEND "  # a record separator no log line carries

# The runtime interface client, reduced to what the functions use: the Lambda context object,
# the handler imported by its string, one invocation per line of stdin, the answer on fd 3.
BOOTSTRAP = r"""
import json, os, sys, time, traceback
task = os.environ["LAMBDA_TASK_ROOT"]
layers = os.environ["PARLEY_HARNESS_LAYERS"].split(os.pathsep)
sys.path[:0] = [task] + [p for layer in layers if layer for p in
                         (layer + "/python/lib/python3.11/site-packages", layer + "/python")]
stdlib = os.path.dirname(os.__file__)
answers = os.fdopen(int(os.environ.pop("PARLEY_HARNESS_ANSWERS")), "w")

class Context:
    def __init__(self, spec):
        self.aws_request_id = spec["request_id"]
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
        self.memory_limit_in_mb = int(os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
        self.invoked_function_arn = spec["function_arn"]
        self.log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + spec["timeout"]

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.monotonic()) * 1000))

started = time.perf_counter()
module_name, _, attribute = os.environ["_HANDLER"].rpartition(".")
import importlib
handler = getattr(importlib.import_module(module_name), attribute)
init_ms = (time.perf_counter() - started) * 1000
answers.write(json.dumps({"init_ms": init_ms}) + "\n")
answers.flush()
for line in sys.stdin:
    spec = json.loads(line)
    started = time.perf_counter()
    try:
        answer = {"result": handler(spec["event"], Context(spec))}
    except Exception as error:
        traceback.print_exc()
        answer = {"error": {"errorType": type(error).__name__, "errorMessage": str(error)}}
    answer["duration_ms"] = (time.perf_counter() - started) * 1000
    # Where the packages the function loaded came from: the layer, not this machine's venv.
    answer["loaded"] = {name: module.__file__ for name, module in list(sys.modules.items())
                        if "." not in name and getattr(module, "__file__", None)
                        and not module.__file__.startswith(stdlib)}
    sys.stdout.flush()
    sys.stderr.flush()
    print("\x1eEND " + spec["request_id"], flush=True)
    answers.write(json.dumps(answer, default=str) + "\n")
    answers.flush()
"""


@dataclass
class Invocation:
    request_id: str
    result: Any
    error: dict[str, str] | None
    logs: list[str]
    duration_ms: float
    loaded: dict[str, str]  # top-level package -> the file it was imported from

    def json_lines(self) -> list[dict[str, Any]]:
        """The structured lines: Powertools' log lines and the metrics (EMF)."""
        found = []
        for line in self.logs:
            if line.startswith("{"):
                try:
                    found.append(json.loads(line))
                except ValueError:
                    continue
        return found

    def metrics(self) -> list[dict[str, Any]]:
        return [line for line in self.json_lines() if "_aws" in line]

    def log_lines(self) -> list[dict[str, Any]]:
        return [line for line in self.json_lines() if "_aws" not in line and "level" in line]


class ExecutionEnvironment:
    def __init__(self, name: str, configuration: dict[str, Any], task_root: Path,
                 layers: list[Path], endpoint: str, log_dir: Path) -> None:
        self.name = name
        self.configuration = configuration
        self.task_root = task_root
        self.layers = layers
        self.arn = configuration["FunctionArn"]
        environment = {
            **configuration.get("Environment", {}).get("Variables", {}),
            **CREDENTIALS,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_LAMBDA_FUNCTION_NAME": name,
            "AWS_LAMBDA_FUNCTION_VERSION": configuration.get("Version", "$LATEST"),
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(configuration["MemorySize"]),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": f"2026/12/07/[$LATEST]{uuid.uuid4().hex}",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{configuration['Runtime']}",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "LAMBDA_TASK_ROOT": str(task_root),
            "LAMBDA_RUNTIME_DIR": str(task_root),
            "_HANDLER": configuration["Handler"],
            "TZ": ":UTC",
            "LANG": "en_US.UTF-8",
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "PARLEY_HARNESS_LAYERS": os.pathsep.join(str(p) for p in layers),
            # The one difference from AWS: every SDK client goes to moto's server (the
            # WebSocket pushes too: see chalicelib/adapters/live.py).
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI": endpoint,
        }
        self.timeout = float(configuration["Timeout"])
        self._log = (log_dir / f"{name}.log").open("a")
        # The answers travel on a pipe of their own, so nothing the function prints is mistaken
        # for one.
        read_answers, write_answers = os.pipe()
        environment["PARLEY_HARNESS_ANSWERS"] = str(write_answers)
        self.process = subprocess.Popen(  # noqa: S603 - this interpreter, our bootstrap
            [sys.executable, "-I", "-S", "-c", BOOTSTRAP],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            cwd=task_root, env=environment, text=True, pass_fds=(write_answers,),
        )
        os.close(write_answers)
        self._answers = os.fdopen(read_answers)
        first = self._answers.readline()
        if not first:
            output = self.process.stdout.read() if self.process.stdout else ""
            raise RuntimeError(f"{name} did not start:\n{output[-4000:]}")
        self.init_ms = float(json.loads(first)["init_ms"])

    def invoke(self, event: Any) -> Invocation:
        assert self.process.stdin is not None and self.process.stdout is not None
        request_id = str(uuid.uuid4())
        spec = {"request_id": request_id, "event": event, "function_arn": self.arn,
                "timeout": self.timeout}
        self.process.stdin.write(json.dumps(spec) + "\n")
        self.process.stdin.flush()
        logs = []
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError(f"{self.name} died:\n" + "".join(logs[-50:]))
            if line.startswith(END):
                break
            logs.append(line.rstrip("\n"))
            self._log.write(line)
        answer = json.loads(self._answers.readline())
        self._log.flush()
        return Invocation(request_id, answer.get("result"), answer.get("error"), logs,
                          float(answer["duration_ms"]), answer["loaded"])

    def stop(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()


class LambdaService:
    """The functions of the stack, as Lambda runs them: code and layers as deployed (checked
    against the CodeSha256 moto's Lambda recorded), one warm environment per function."""

    def __init__(self, account: Account, template: dict[str, Any], workdir: Path) -> None:
        self.account = account
        self.template = template
        self.workdir = workdir
        self.environments: dict[str, ExecutionEnvironment] = {}
        self.started: list[ExecutionEnvironment] = []

    def _unpacked(self, kind: str, bucket: str, key: str, expected_sha: str | None) -> Path:
        data = self.account.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        sha = base64.b64encode(hashlib.sha256(data).digest()).decode()
        if expected_sha is not None and sha != expected_sha:
            raise AssertionError(f"{key}: not the code Lambda holds ({sha} != {expected_sha})")
        target = self.workdir / f"{kind}-{hashlib.sha256(data).hexdigest()[:16]}"
        if not target.exists():
            partial = target.with_suffix(".partial")
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                archive.extractall(partial)
            partial.rename(target)
        return target

    def _function_resource(self, name: str) -> dict[str, Any]:
        for resource in self.template["Resources"].values():
            if (resource["Type"] == "AWS::Lambda::Function"
                    and resource["Properties"].get("FunctionName") == name):
                return resource
        raise KeyError(name)

    def environment(self, name: str) -> ExecutionEnvironment:
        if name not in self.environments:
            self.environments[name] = self.cold_start(name)
        return self.environments[name]

    def cold_start(self, name: str) -> ExecutionEnvironment:
        """A new execution environment for the function (not kept: see environment())."""
        configuration = self.account.lambda_.get_function_configuration(FunctionName=name)
        code = pseudo(self._function_resource(name)["Properties"]["Code"])
        task_root = self._unpacked("task", code["S3Bucket"], code["S3Key"],
                                   configuration["CodeSha256"])
        layers = []
        for layer in configuration.get("Layers", []):
            # arn:aws:lambda:<region>:<account>:layer:<name>:<version>
            _, _, name_part, number = layer["Arn"].rsplit(":", 3)
            version = self.account.lambda_.get_layer_version(LayerName=name_part,
                                                            VersionNumber=int(number))
            content = self._layer_content(layer["Arn"])
            layers.append(self._unpacked("layer", content["S3Bucket"], content["S3Key"],
                                         version["Content"]["CodeSha256"]))
        self.workdir.joinpath("logs").mkdir(exist_ok=True)
        environment = ExecutionEnvironment(name, configuration, task_root, layers,
                                           self.account.endpoint, self.workdir / "logs")
        self.started.append(environment)
        return environment

    def _layer_content(self, arn: str) -> dict[str, str]:
        """Where the layer version's zip is (the harness published it: see STUBS)."""
        return self.account.layer_contents[arn]

    def invoke(self, name: str, event: Any) -> Invocation:
        return self.environment(name).invoke(event)

    def stop(self) -> None:
        for environment in self.started:
            environment.stop()
