#!/usr/bin/python3
"""docs/openapi.yaml against the node's source, without a running node (ctest: openapi_spec_test, label unit).

- the document is well formed: OpenAPI 3.1, every $ref resolves, every schema is valid JSON Schema 2020-12, unique
  operation ids, every path parameter declared with an example, every secured operation documents its 401;
- every route nodes/src/*.cc registers is documented, and every documented operation is served by one of them;
  every step action the node knows (case_actions.h) is a documented /v1/items/{item_id}/<action>;
- the event schemas follow schemas/event.fbs (every table field a property, every union member a body type) and the
  golden event vectors (tests/vectors/events) validate, while a body under the wrong body_type does not;
- every error code the node or the wire library can answer is in ErrorCode.

    /usr/bin/python3 tests/api/spec_test.py
"""
import json
import re
import sys
import unittest
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import jsonschema  # noqa: E402

import openapi_contract as oc  # noqa: E402

REPO = oc.REPO
EVENT_FBS = REPO / "schemas/event.fbs"
VECTORS = REPO / "tests/vectors/events"
# The JSON Schema 2020-12 keywords this document uses, and OpenAPI's own (discriminator, example).
SCHEMA_KEYWORDS = {"$ref", "type", "enum", "const", "properties", "required", "additionalProperties",
                   "unevaluatedProperties", "items", "minItems", "maxItems", "minimum", "maximum", "minLength",
                   "maxLength", "pattern", "format", "default", "description", "example", "examples", "allOf",
                   "anyOf", "oneOf", "not", "if", "then", "else", "discriminator", "title", "deprecated"}


def walk(node, path=""):
    """(json pointer, dict) of every object in the document."""
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from walk(v, f"{path}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, f"{path}/{i}")


def fbs_tables(text):
    """{table name: [field names]} of a FlatBuffers schema."""
    tables = {}
    for m in re.finditer(r"^table\s+(\w+)\s*\{(.*?)^\}", text, re.S | re.M):
        body = re.sub(r"//[^\n]*", "", m.group(2))
        tables[m.group(1)] = re.findall(r"^\s*(\w+)\s*:", body, re.M)
    return tables


def fbs_union(text, name):
    m = re.search(r"^union\s+" + name + r"\s*\{(.*?)\}", text, re.S | re.M)
    return re.findall(r"\b(\w+)\b", re.sub(r"//[^\n]*", "", m.group(1)))


def api_event(vector):
    """A golden vector (the codec's JSON) as the API shows it: ids as UUID text."""
    for key in ("id", "parent_id"):
        if key in vector:
            vector[key] = str(uuid.UUID(bytes=bytes(vector[key]["bytes"])))
    return vector


def errc_names(path):
    return set(re.findall(r'case errc::\w+:\s*return "(\w+)";', path.read_text()))


class SpecTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.spec = oc.Spec.load()
        cls.doc = cls.spec.doc

    def test_is_openapi_3_1_with_resolvable_refs(self):
        self.assertRegex(self.doc["openapi"], r"^3\.1\.\d+$")
        refs = [(p, n["$ref"]) for p, n in walk(self.doc) if isinstance(n.get("$ref"), str)]
        self.assertGreater(len(refs), 100)
        for where, ref in refs:
            with self.subTest(ref=ref, where=where):
                self.spec.resolve({"$ref": ref})

    def test_component_schemas_are_json_schema_2020_12(self):
        for name, schema in self.doc["components"]["schemas"].items():
            with self.subTest(schema=name):
                jsonschema.Draft202012Validator.check_schema(schema)

    def test_schemas_use_only_known_keywords(self):
        # JSON Schema ignores unknown keywords, so a YAML slip (an unquoted comma in a flow mapping turns the rest
        # of a description into a key) would pass unnoticed: every key of a schema must be a keyword.
        for where, schema in self.schemas():
            with self.subTest(schema=where):
                self.assertEqual(set(schema) - SCHEMA_KEYWORDS, set())

    def schemas(self):
        """(where, schema object) of every schema in the document, nested ones included."""
        roots = [(f"components/schemas/{k}", v) for k, v in self.doc["components"]["schemas"].items()]
        for pointer, node in walk(self.doc):
            if "schema" in node and isinstance(node["schema"], dict) and not pointer.startswith("/components/schemas"):
                roots.append((f"{pointer}/schema", node["schema"]))
        stack = roots
        while stack:
            where, schema = stack.pop()
            yield where, schema
            for key in ("items", "not", "if", "then", "else", "additionalProperties", "unevaluatedProperties"):
                if isinstance(schema.get(key), dict):
                    stack.append((f"{where}/{key}", schema[key]))
            for key in ("allOf", "anyOf", "oneOf"):
                stack += [(f"{where}/{key}/{i}", s) for i, s in enumerate(schema.get(key, []))]
            stack += [(f"{where}/properties/{k}", s) for k, s in schema.get("properties", {}).items()]

    def test_operations_are_complete(self):
        ids = []
        for method, path in self.spec.operations():
            op = self.spec.operation(method, path)
            with self.subTest(op=f"{method} {path}"):
                self.assertIn("operationId", op)
                ids.append(op["operationId"])
                self.assertTrue(op.get("summary"), "an operation says what it does")
                statuses = set(op["responses"])
                self.assertTrue(any(s.startswith(("2", "3")) for s in statuses), "a success is documented")
                if self.spec.secured(method, path):
                    self.assertIn("401", statuses, "a secured operation documents 401 unauthenticated")
                # example_path fails on an undeclared path parameter or one without an example.
                self.assertNotIn("{", self.spec.example_path(method, path))
                for status, response in op["responses"].items():
                    response = self.spec.resolve(response)
                    if status.startswith(("4", "5")):
                        schema = response["content"]["application/json"]["schema"]
                        self.assertEqual(schema, {"$ref": "#/components/schemas/Error"}, f"{status}: the error body")
        self.assertEqual(len(ids), len(set(ids)), "operationIds are unique")

    def test_every_served_route_is_documented_and_back(self):
        routes = oc.source_routes()
        self.assertGreater(len(routes), 30, "the route registrations were found in nodes/src")
        self.assertEqual(oc.coverage_problems(self.spec, routes), [])

    def test_the_route_check_catches_an_undocumented_route(self):
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            (Path(d) / "extra_routes.cc").write_text(
                'constexpr const char* kName = R"(([a-z]{1,8}))";\n'
                'void Add(httplib::Server& srv) {\n'
                '  srv.Get("/v1/gadgets", [](const httplib::Request&, httplib::Response&) {});\n'
                '  srv.Post(std::string("/v1/widgets/") + kName + "/spin",\n'
                '           [](const httplib::Request&, httplib::Response&) {});\n'
                '  srv.Delete(R"(/v1/referrals/([^/]+))", handler);\n'
                '  store.Get("not/a/route");\n'
                '}\n')
            routes = oc.source_routes(d)
        self.assertEqual([(r.method, r.template()) for r in routes],
                         [("GET", "/v1/gadgets"), ("POST", "/v1/widgets/{}/spin"), ("DELETE", "/v1/referrals/{}")])
        problems = oc.coverage_problems(self.spec, oc.source_routes() + routes)
        self.assertEqual(len(problems), 3, problems)
        self.assertTrue(all("is served but not documented" in p for p in problems), problems)

    def test_item_actions_match_the_node(self):
        header = (REPO / "nodes/src/case_actions.h").read_text()
        m = re.search(r'kActions\s*=\s*((?:\s*"[^"]*")+)\s*;', header)
        known = {a.strip() for a in "".join(re.findall(r'"([^"]*)"', m.group(1))).split(",")}
        documented = {p.rsplit("/", 1)[1] for p in self.doc["paths"] if re.fullmatch(r"/v1/items/\{item_id\}/[a-z-]+", p)}
        self.assertEqual(documented, known)

    def test_event_schemas_follow_event_fbs(self):
        text = EVENT_FBS.read_text()
        tables = fbs_tables(text)
        schemas = self.doc["components"]["schemas"]
        bodies = fbs_union(text, "Body")
        self.assertEqual(schemas["BodyType"]["enum"], bodies, "BodyType lists the union's members in wire order")
        for name in bodies + ["Event"]:
            with self.subTest(table=name):
                properties = set(schemas[name]["properties"]) - {"body_type"}
                self.assertEqual(properties, set(tables[name]), f"{name}: the fbs table's fields")
        self.assertEqual(set(schemas["ReferralCreated"]["properties"]["victim"]["properties"]), set(tables["VictimBlock"]))
        self.assertEqual(set(schemas["Destination"]["properties"]), set(tables["Destination"]))

    def test_golden_event_vectors_validate(self):
        vectors = sorted(VECTORS.glob("*.json"))
        self.assertEqual({v.stem for v in vectors}, set(self.doc["components"]["schemas"]["BodyType"]["enum"]))
        event = self.spec.schema("Event")
        for path in vectors:
            with self.subTest(vector=path.name):
                self.assertEqual(self.spec.validate(event, api_event(json.loads(path.read_text()))), [])
        # The body must be the one body_type names.
        declined = api_event(json.loads((VECTORS / "ReferralDeclined.json").read_text()))
        declined["body_type"] = "ReferralCreated"
        self.assertNotEqual(self.spec.validate(event, declined), [])
        unknown = api_event(json.loads((VECTORS / "ReadReceipt.json").read_text()))
        unknown["body"]["surprise"] = 1
        self.assertNotEqual(self.spec.validate(event, unknown), [])

    def test_error_codes_are_all_documented(self):
        codes = set(self.doc["components"]["schemas"]["ErrorCode"]["enum"])
        node = errc_names(REPO / "nodes/src/errc.cc")
        wire = errc_names(REPO / "schemas/src/errc.cc")
        http = set(re.findall(r'case \d+: return "(\w+)";', (REPO / "nodes/src/http_api.cc").read_text()))
        self.assertGreater(len(node), 8)
        self.assertGreater(len(wire), 15)
        self.assertGreater(len(http), 5)
        self.assertEqual((node | wire | http | {"internal"}) - {"success"} - codes, set())


if __name__ == "__main__":
    unittest.main(verbosity=2)
