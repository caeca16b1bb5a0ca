"""The node's OpenAPI description (docs/openapi.yaml) as something tests can check against.

    spec = Spec.load()                                   # docs/openapi.yaml
    spec.operations()                                    # [("GET", "/v1/cases/{case_id}"), ...]
    spec.check_response("GET", "/v1/health", 200, "application/json", body)   # [] or the problems
    source_routes()                                      # what nodes/src/*.cc registers: [Route(method, regex)]

Needs Debian's python3-yaml and python3-jsonschema (4.x: JSON Schema 2020-12, the dialect of OpenAPI 3.1).
"""
import json
import re
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import yaml

REPO = Path(__file__).resolve().parents[2]
SPEC_PATH = REPO / "docs/openapi.yaml"
ROUTE_SOURCES = REPO / "nodes/src"
METHODS = ("get", "post", "put", "delete", "patch")


class Spec:
    """docs/openapi.yaml, parsed, with JSON Schema validation of replies against it."""

    def __init__(self, document):
        self.doc = document
        # $refs ("#/components/schemas/X") resolve against the whole document.
        self._resolver = jsonschema.RefResolver(base_uri="", referrer=document)

    @classmethod
    def load(cls, path=SPEC_PATH):
        with open(path, encoding="utf-8") as f:
            return cls(yaml.safe_load(f))

    def resolve(self, node):
        """A {"$ref": "#/..."} object replaced by what it names (once; the target may itself hold $refs)."""
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                raise ValueError(f"only local $refs are used: {ref}")
            node = self.doc
            for part in ref[2:].split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def operations(self):
        """Every documented (METHOD, path template)."""
        return [(m.upper(), path) for path, item in self.doc["paths"].items() for m in METHODS if m in item]

    def operation(self, method, path):
        item = self.doc["paths"].get(path)
        if item is None or method.lower() not in item:
            raise KeyError(f"{method} {path} is not documented in {SPEC_PATH.name}")
        return item[method.lower()]

    def parameters(self, method, path):
        item = self.doc["paths"][path]
        params = [self.resolve(p) for p in item.get("parameters", [])]
        params += [self.resolve(p) for p in item[method.lower()].get("parameters", [])]
        return params

    def example_path(self, method, path):
        """The path with each {parameter} replaced by its documented example (path parameters must have one)."""
        def example(match):
            name = match.group(1)
            for p in self.parameters(method, path):
                if p["in"] == "path" and p["name"] == name:
                    if "example" not in p:
                        raise ValueError(f"{method} {path}: path parameter {name} has no example")
                    return str(p["example"])
            raise ValueError(f"{method} {path}: path parameter {name} is not declared")
        return re.sub(r"\{([^}]+)\}", example, path)

    def secured(self, method, path):
        """Whether the operation needs credentials (its `security`, else the document's, is not [])."""
        op = self.operation(method, path)
        security = op.get("security", self.doc.get("security", []))
        return bool(security) and all(req for req in security)

    def validate(self, schema, instance):
        """The problems of `instance` against a schema of this document, as strings ([] when valid)."""
        validator = jsonschema.Draft202012Validator(schema, resolver=self._resolver)
        return [f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
                for e in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))]

    def schema(self, name):
        return {"$ref": f"#/components/schemas/{name}"}

    def check_response(self, method, path, status, content_type, raw):
        """The problems of one reply against the operation's documented responses ([] when it conforms)."""
        op = self.operation(method, path)
        response = op["responses"].get(str(status)) or op["responses"].get("default")
        if response is None:
            return [f"status {status} is not documented (documented: {', '.join(sorted(op['responses']))})"]
        response = self.resolve(response)
        content = response.get("content")
        if not content:
            return [] if not raw else [f"status {status} is documented without a body, but {len(raw)} bytes came"]
        media = (content_type or "").split(";")[0].strip().lower()
        if media not in content:
            return [f"Content-Type {content_type!r} is not documented for {status} ({', '.join(content)})"]
        if media != "application/json":
            return []
        try:
            body = json.loads(raw)
        except ValueError as e:
            return [f"the body is not JSON: {e}"]
        return self.validate(content[media].get("schema", {}), body)


# -- the routes the node's source registers ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Route:
    method: str   # GET, POST, ...
    pattern: str  # the regex cpp-httplib matches the whole path against
    where: str    # file:line

    def matches(self, path):
        return re.fullmatch(self.pattern, path) is not None

    def template(self):
        """The pattern with each capture group written {} (a group that starts with '/' as /{})."""
        out, i = "", 0
        while i < len(self.pattern):
            if self.pattern[i] == "(":
                depth, j = 0, i
                while True:
                    depth += {"(": 1, ")": -1}.get(self.pattern[j], 0)
                    if depth == 0:
                        break
                    j += 1
                out += "/{}" if self.pattern[i + 1] == "/" else "{}"
                i = j + 1
            else:
                out += self.pattern[i]
                i += 1
        return out


_REGISTRATION = re.compile(r"\bsrv\.(Get|Post|Put|Delete|Patch)\(")
_CONSTANT = re.compile(r'constexpr\s+const\s+char\s*\*\s*(k\w+)\s*=\s*(R"\((.*?)\)"|"((?:[^"\\]|\\.)*)")\s*;')


def _route_argument(text, start, constants, where):
    """Evaluates the first argument of srv.Get(...) at text[start:]: string literals, raw strings, std::string(...)
    and named constants joined by '+'."""
    value, i = "", start
    while True:
        while text[i].isspace():
            i += 1
        if text.startswith('R"(', i):
            end = text.index(')"', i + 3)
            value += text[i + 3:end]
            i = end + 2
        elif text[i] == '"':
            end = i + 1
            while text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            value += bytes(text[i + 1:end], "utf-8").decode("unicode_escape")
            i = end + 1
        elif text.startswith("std::string(", i):
            inner, i = _route_argument(text, i + len("std::string("), constants, where)
            value += inner
            while text[i].isspace():
                i += 1
            if text[i] != ")":
                raise ValueError(f"{where}: cannot read the route's std::string(...)")
            i += 1
        else:
            name = re.match(r"\w+", text[i:])
            if not name or name.group(0) not in constants:
                raise ValueError(f"{where}: cannot evaluate the route argument at {text[i:i + 40]!r}")
            value += constants[name.group(0)]
            i += len(name.group(0))
        while text[i].isspace():
            i += 1
        if text[i] == "+":
            i += 1
            continue
        return value, i


def source_routes(folder=ROUTE_SOURCES):
    """Every route registered with srv.Get/Post/Put/Delete/Patch in the node's sources."""
    routes = []
    for path in sorted(Path(folder).glob("*.cc")):
        text = path.read_text(encoding="utf-8")
        constants = {m.group(1): m.group(3) if m.group(3) is not None else m.group(4)
                     for m in _CONSTANT.finditer(text)}
        for m in _REGISTRATION.finditer(text):
            shown = path.relative_to(REPO) if path.is_relative_to(REPO) else path
            where = f"{shown}:{text.count(chr(10), 0, m.start()) + 1}"
            pattern, _ = _route_argument(text, m.end(), constants, where)
            routes.append(Route(m.group(1).upper(), pattern, where))
    return routes


def coverage_problems(spec, routes):
    """Both directions: a served route that no documented path matches, and a documented operation whose example
    path no registered route of its method serves."""
    problems = []
    documented = [(method, path, spec.example_path(method, path)) for method, path in spec.operations()]
    for route in routes:
        if not any(m == route.method and route.matches(example) for m, _, example in documented):
            problems.append(f"{route.method} {route.template()} ({route.where}) is served but not documented")
    for method, path, example in documented:
        if not any(r.method == method and r.matches(example) for r in routes):
            problems.append(f"{method} {path} is documented but no route serves {example}")
    return problems
