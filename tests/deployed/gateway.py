"""API Gateway (REST) and CloudFront in front of it, for the emulated stack.

Routes as the deployed API does: by the RestApi's swagger body in the template (which path
templates exist, which methods, which need the REQUEST authorizer, which function integrates).
A request with a route that needs the authorizer first invokes the authorizer function with a
REQUEST authorizer event, evaluates the policy it answers against the method ARN, and passes its
context on in `requestContext.authorizer` with the values as strings, as API Gateway does.
Refusals it makes itself use the template's gateway responses. Viewer requests come through
"CloudFront": the distribution's origin path and custom origin header are added.

Event shapes: tests/events/api_gateway_proxy.json and api_gateway_authorizer_request.json
(AWS's documented examples), filled per request.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

from tests.deployed.account import ACCOUNT, REGION, Account, Deployed, resolve_dynamic_references
from tests.deployed.runtime import Invocation, LambdaService

EVENTS = Path(__file__).resolve().parents[1] / "events"
VIEWER_IP = "198.51.100.23"
EDGE_IP = "130.176.0.10"  # a CloudFront edge, as API Gateway sees the connection


def _load(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())  # type: ignore[no-any-return]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    multi_headers: dict[str, list[str]]
    body: str
    invocations: list[Invocation] = field(default_factory=list)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Route:
    template: str
    pattern: re.Pattern[str]
    method: str
    authorized: bool
    function: str


def _function_of(uri: Any) -> str:
    text = uri["Fn::Sub"] if isinstance(uri, dict) else uri
    return str(re.search(r"function:([^/]+)/invocations", text).group(1))  # type: ignore[union-attr]


class RestApi:
    def __init__(self, account: Account, deployed: Deployed, functions: LambdaService) -> None:
        api = next(iter(deployed.resources("AWS::ApiGateway::RestApi").values()))["Properties"]
        self.body = api["Body"]
        self.functions = functions
        self.api_id = deployed.outputs["RestAPIId"]
        self.stage = "api"
        self.routes: list[Route] = []
        authorizers = {}
        for name, definition in self.body.get("securityDefinitions", {}).items():
            authorizer = definition["x-amazon-apigateway-authorizer"]
            assert authorizer["type"] == "request", authorizer
            authorizers[name] = _function_of(authorizer["authorizerUri"])
        self.authorizer_function = next(iter(authorizers.values()))
        for template, methods in self.body["paths"].items():
            pattern = re.compile(
                "^" + re.sub(r"\\\{([^}]+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
            )
            for method, operation in methods.items():
                if method == "x-amazon-apigateway-any-method":
                    method = "ANY"
                integration = operation["x-amazon-apigateway-integration"]
                assert integration["type"] == "aws_proxy"
                self.routes.append(Route(template, pattern, method.upper(),
                                         bool(operation.get("security")),
                                         _function_of(integration["uri"])))
        self.binary_types = set(self.body.get("x-amazon-apigateway-binary-media-types", []))
        self.gateway_responses = self.body.get("x-amazon-apigateway-gateway-responses", {})
        # CloudFront: the API origin's path and the header it adds.
        distribution = next(iter(deployed.resources("AWS::CloudFront::Distribution").values()))
        origins = distribution["Properties"]["DistributionConfig"]["Origins"]
        api_origin = next(o for o in origins if "CustomOriginConfig" in o)
        self.origin_path = api_origin.get("OriginPath", "")
        self.origin_headers = {
            h["HeaderName"]: resolve_dynamic_references(h["HeaderValue"], account)
            for h in api_origin.get("OriginCustomHeaders", [])
        }
        self.host = deployed.outputs["DistributionDomain"]

    def _match(self, method: str, path: str) -> tuple[Route | None, dict[str, str]]:
        for route in self.routes:
            found = route.pattern.match(path)
            if found and route.method in (method, "ANY"):
                return route, found.groupdict()
        return None, {}

    def _gateway_response(self, kind: str, status: int) -> Answer:
        response = self.gateway_responses.get(kind) or self.gateway_responses["DEFAULT_4XX"]
        headers = {k.removeprefix("gatewayresponse.header."): v.strip("'")
                   for k, v in response.get("responseParameters", {}).items()}
        body = response.get("responseTemplates", {}).get("application/json", "")
        return Answer(int(response.get("statusCode", status)), headers,
                      {k: [v] for k, v in headers.items()}, body)

    def request(self, method: str, url_path: str, *, headers: dict[str, str] | None = None,
                body: bytes | str | None = None, through_cloudfront: bool = True) -> Answer:
        """A viewer's request to the portal's address (`/api/...`), as CloudFront forwards
        it to API Gateway, and API Gateway to the functions."""
        split = urlsplit(url_path)
        headers = dict(headers or {})
        headers.setdefault("Host", f"{self.api_id}.execute-api.{REGION}.amazonaws.com")
        headers.setdefault("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) parley-deployed-tier")
        if through_cloudfront:
            headers.update(self.origin_headers)
            headers["X-Forwarded-For"] = f"{VIEWER_IP}, {EDGE_IP}"
            headers["Via"] = "2.0 0123456789abcdef.cloudfront.net (CloudFront)"
        else:
            headers["X-Forwarded-For"] = VIEWER_IP
        # CloudFront prepends the origin path; the stage's name is its first segment.
        full_path = self.origin_path + split.path if through_cloudfront else split.path
        stage, _, resource_path = full_path.lstrip("/").partition("/")
        resource_path = "/" + resource_path
        query = parse_qsl(split.query, keep_blank_values=True)
        if stage != self.stage:
            return self._gateway_response("RESOURCE_NOT_FOUND", 404)
        route, path_parameters = self._match(method, resource_path)
        if route is None:
            return self._gateway_response("MISSING_AUTHENTICATION_TOKEN", 403)
        request_id = str(uuid.uuid4())
        event = self._proxy_event(method, resource_path, full_path, route, path_parameters,
                                  headers, query, body, request_id)
        invocations = []
        if route.authorized:
            authorization = self._authorize(event, route)
            invocations.append(authorization[1])
            if authorization[0] is None:
                answer = self._gateway_response("UNAUTHORIZED", 401)
                answer.invocations = invocations
                return answer
            if authorization[0] is False:
                answer = self._gateway_response("ACCESS_DENIED", 403)
                answer.invocations = invocations
                return answer
            event["requestContext"]["authorizer"] = authorization[0]
        invocation = self.functions.invoke(route.function, event)
        invocations.append(invocation)
        if invocation.error is not None:
            answer = self._gateway_response("DEFAULT_5XX", 502)
            answer.invocations = invocations
            return answer
        result = invocation.result
        multi = {k: list(v) for k, v in (result.get("multiValueHeaders") or {}).items()}
        for name, value in (result.get("headers") or {}).items():
            multi.setdefault(name, [value])
        raw = result.get("body") or ""
        if result.get("isBase64Encoded"):
            raw = base64.b64decode(raw).decode("latin-1")
        return Answer(int(result["statusCode"]), {k: v[-1] for k, v in multi.items()}, multi,
                      raw, invocations)

    def _proxy_event(self, method: str, resource_path: str, full_path: str, route: Route,
                     path_parameters: dict[str, str], headers: dict[str, str],
                     query: list[tuple[str, str]], body: bytes | str | None,
                     request_id: str) -> dict[str, Any]:
        event = copy.deepcopy(_load("api_gateway_proxy.json"))
        multi_query: dict[str, list[str]] = {}
        for name, value in query:
            multi_query.setdefault(name, []).append(value)
        content_type = headers.get("Content-Type", "").split(";")[0].strip()
        is_binary = content_type in self.binary_types
        if isinstance(body, bytes):
            text = base64.b64encode(body).decode() if is_binary else body.decode()
        else:
            text = body
        event.update({
            "resource": route.template,
            "path": resource_path,
            "httpMethod": method,
            "headers": dict(headers),
            "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": path_parameters or None,
            "stageVariables": None,
            "body": text,
            "isBase64Encoded": bool(is_binary and body is not None),
        })
        now = time.time()
        context = event["requestContext"]
        context.update({
            "accountId": ACCOUNT,
            "apiId": self.api_id,
            "domainName": headers["Host"],
            "domainPrefix": self.api_id,
            "httpMethod": method,
            "path": full_path,
            "resourcePath": route.template,
            "stage": self.stage,
            "requestId": request_id,
            "extendedRequestId": request_id[:16],
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "requestTimeEpoch": int(now * 1000),
            "resourceId": "abc123",
        })
        context["identity"].update({"sourceIp": EDGE_IP if "Via" in headers else VIEWER_IP,
                                    "userAgent": headers["User-Agent"]})
        context.pop("authorizer", None)
        return event

    def _method_arn(self, method: str, resource_path: str) -> str:
        return (f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{self.api_id}/{self.stage}/{method}"
                f"{resource_path}")

    def _authorize(self, proxy_event: dict[str, Any],
                   route: Route) -> tuple[dict[str, Any] | bool | None, Invocation]:
        """None: the authorizer failed or said Unauthorized (401); False: its policy denies
        (403); else the context handed to the integration."""
        event = copy.deepcopy(_load("api_gateway_authorizer_request.json"))
        method_arn = self._method_arn(proxy_event["httpMethod"], proxy_event["path"])
        for key in ("resource", "path", "httpMethod", "headers", "multiValueHeaders",
                    "queryStringParameters", "multiValueQueryStringParameters",
                    "pathParameters", "stageVariables"):
            event[key] = proxy_event[key]
        event["methodArn"] = method_arn
        event["requestContext"] = {k: v for k, v in proxy_event["requestContext"].items()
                                   if k != "authorizer"}
        invocation = self.functions.invoke(self.authorizer_function, event)
        if invocation.error is not None:
            return None, invocation
        policy = invocation.result
        if not _allows(policy.get("policyDocument", {}), method_arn):
            return False, invocation
        context = {k: _as_string(v) for k, v in (policy.get("context") or {}).items()}
        context["principalId"] = policy.get("principalId")
        context["integrationLatency"] = int(invocation.duration_ms)
        return context, invocation


def _as_string(value: Any) -> str:
    # API Gateway hands the authorizer's context on as strings: True arrives as "true".
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _allows(document: dict[str, Any], method_arn: str) -> bool:
    """IAM's evaluation for execute-api: an explicit Deny wins, else an Allow must match."""
    allowed = False
    for statement in document.get("Statement", []):
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if not any(a in ("execute-api:Invoke", "execute-api:*", "*") for a in actions):
            continue
        resources = statement.get("Resource", [])
        resources = [resources] if isinstance(resources, str) else resources
        if not any(_arn_matches(r, method_arn) for r in resources):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


def _arn_matches(pattern: str, arn: str) -> bool:
    regex = "^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$"
    regex = regex.replace(r"\?", ".")
    return re.match(regex, arn) is not None


class Viewer:
    """One person's browser on the portal: keeps the cookies the API sets and sends the CSRF
    proof the page sends (`Authorization: CSRF <token>`), or an API client's Bearer token."""

    def __init__(self, api: RestApi) -> None:
        self.api = api
        self.cookies: dict[str, str] = {}
        self.authorization: str | None = None

    def call(self, method: str, path: str, body: Any = None,
             headers: dict[str, str] | None = None) -> Answer:
        sent = {"Accept": "application/json", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.authorization:
            sent["Authorization"] = self.authorization
        data = None
        if body is not None:
            data = json.dumps(body)
            sent["Content-Type"] = "application/json"
        answer = self.api.request(method, path, headers=sent, body=data)
        for header in answer.multi_headers.get("Set-Cookie", []):
            cookie: SimpleCookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return answer


class WebSocketApi:
    """API Gateway's WebSocket API: a connection's $connect, its messages and its $disconnect,
    each handed to the function the stack's outputs name for it, in AWS's event shapes
    (tests/events/websocket_*.json)."""

    FUNCTIONS: ClassVar[dict[str, str]] = {"$connect": "WebsocketConnectHandlerName",
                 "$default": "WebsocketMessageHandlerName",
                 "$disconnect": "WebsocketDisconnectHandlerName"}
    EVENTS: ClassVar[dict[str, str]] = {"$connect": "websocket_connect.json",
                                        "$default": "websocket_message.json",
                                        "$disconnect": "websocket_disconnect.json"}

    def __init__(self, deployed: Deployed, functions: LambdaService) -> None:
        self.functions = functions
        self.names = {route: deployed.outputs[output] for route, output in self.FUNCTIONS.items()}
        self.api_id = deployed.outputs["WebsocketAPIId"]

    def send(self, route: str, connection_id: str, *, query: dict[str, str] | None = None,
             body: Any = None) -> Invocation:
        event = copy.deepcopy(_load(self.EVENTS[route]))
        domain = f"{self.api_id}.execute-api.{REGION}.amazonaws.com"
        now = int(time.time() * 1000)
        event["requestContext"].update({"connectionId": connection_id, "apiId": self.api_id,
                                        "domainName": domain, "requestTimeEpoch": now,
                                        "requestId": str(uuid.uuid4())})
        if "headers" in event:
            event["headers"]["Host"] = domain
            event["multiValueHeaders"]["Host"] = [domain]
        if route == "$connect":
            event["queryStringParameters"] = query
            event["multiValueQueryStringParameters"] = (
                {k: [v] for k, v in query.items()} if query else None)
        if route == "$default":
            event["body"] = json.dumps(body)
        return self.functions.invoke(self.names[route], event)
