"""The hand-built fixtures are held to Google's own schemas, so they cannot drift from the wire.

REST and file fixtures are checked field by field against the discovery documents that
google-api-python-client ships (unknown fields, wrong types and unknown enum values fail);
gRPC fixtures must parse strictly into the IAM admin protos.
"""

from __future__ import annotations

import json
import os
import re
from functools import cache
from typing import Any

import googleapiclient
import pytest
from google.cloud.iam_admin_v1.types import iam as T
from google.iam.v1 import policy_pb2
from google.protobuf import json_format

from tests.support.gcp_wire import FIXTURES

DOCS = os.path.join(os.path.dirname(googleapiclient.__file__), "discovery_cache", "documents")


@cache
def schemas(doc: str) -> dict[str, Any]:
    with open(os.path.join(DOCS, f"{doc}.json")) as handle:
        return json.load(handle)["schemas"]


def conform(value: Any, schema: dict[str, Any], doc: str, where: str) -> None:
    if "$ref" in schema:
        schema = schemas(doc)[schema["$ref"]]
    kind = schema.get("type")
    if kind == "object":
        assert isinstance(value, dict), where
        props = schema.get("properties")
        if props is not None:
            unknown = set(value) - set(props)
            assert not unknown, f"{where}: fields not in {doc}: {sorted(unknown)}"
            for name, item in value.items():
                conform(item, props[name], doc, f"{where}.{name}")
        elif isinstance(schema.get("additionalProperties"), dict):
            for name, item in value.items():
                conform(item, schema["additionalProperties"], doc, f"{where}.{name}")
    elif kind == "array":
        assert isinstance(value, list), where
        for i, item in enumerate(value):
            conform(item, schema["items"], doc, f"{where}[{i}]")
    elif kind == "string":
        assert isinstance(value, str), where
        if "enum" in schema:
            assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
    elif kind == "boolean":
        assert isinstance(value, bool), where
    elif kind == "integer":
        assert isinstance(value, int) or (isinstance(value, str) and value.isdigit()), where


def check(value: Any, doc: str, schema: str, where: str) -> None:
    conform(value, {"$ref": schema}, doc, where)


RM, IAM, PA, OP, ASSET = "cloudresourcemanager.v3", "iam.v1", "policyanalyzer.v1", "orgpolicy.v2", "cloudasset.v1"
COMPUTE, RUN, FUNCTIONS, CONTAINER = "compute.v1", "run.v2", "cloudfunctions.v2", "container.v1"
REC = "recommender.v1"
HTTP_SCHEMAS = [  # route pattern -> (document, schema)
    (r"^GET /v3/organizations/\d+$", (RM, "Organization")),
    (r"^GET /v3/folders/\d+$", (RM, "Folder")),
    (r"^GET /v3/folders\?parent=", (RM, "ListFoldersResponse")),
    (r"^GET /v3/projects/[a-z][-a-z0-9]+$", (RM, "Project")),
    (r"^GET /v3/projects\?parent=", (RM, "ListProjectsResponse")),
    (r"^POST /v3/.+:getIamPolicy$", (RM, "Policy")),
    (r":getEffectivePolicy$", (OP, "GoogleCloudOrgpolicyV2Policy")),
    (r"/keys\?keyTypes=USER_MANAGED$", (IAM, "ListServiceAccountKeysResponse")),
    (r"/workloadIdentityPools$", (IAM, "ListWorkloadIdentityPoolsResponse")),
    (r"/providers$", (IAM, "ListWorkloadIdentityPoolProvidersResponse")),
    (r"/activities:query$", (PA, "GoogleCloudPolicyanalyzerV1QueryActivityResponse")),
    (r"^GET /projects/[^/]+/aggregated/instances$", (COMPUTE, "InstanceAggregatedList")),
    (r"/locations/-/services$", (RUN, "GoogleCloudRunV2ListServicesResponse")),
    (r"/locations/-/functions$", (FUNCTIONS, "ListFunctionsResponse")),
    (r"/locations/-/clusters$", (CONTAINER, "ListClustersResponse")),
    (r"^GET /v2/policies/[^/]+/denypolicies$", ("iam.v2", "GoogleIamV2ListPoliciesResponse")),
    (
        r"/recommenders/google\.iam\.policy\.Recommender/recommendations$",
        (REC, "GoogleCloudRecommenderV1ListRecommendationsResponse"),
    ),
    (r"^GET /v2/policies/[^/]+/denypolicies/[^/]+$", ("iam.v2", "GoogleIamV2Policy")),
]


def test_http_fixtures_match_google_schemas():
    routes = json.loads((FIXTURES / "api" / "http.json").read_text())
    for route, entry in routes.items():
        matches = [target for pattern, target in HTTP_SCHEMAS if re.search(pattern, route)]
        assert len(matches) == 1, f"no single schema for {route}"
        if "status" in entry:
            assert entry["body"]["error"]["code"] == entry["status"] == 403
            continue
        for token, page in entry["pages"].items():
            check(page, *matches[0], f"{route} page {token!r}")


GRPC_TYPES = {
    "GetIamPolicy": policy_pb2.Policy,
    "ListServiceAccounts": T.ListServiceAccountsResponse,
    "ListServiceAccountKeys": T.ListServiceAccountKeysResponse,
    "ListRoles": T.ListRolesResponse,
}


def round_trip(method: str, page: dict[str, Any]) -> dict[str, Any]:
    """``page`` parsed strictly into its proto (an unknown field raises) and written back as JSON."""
    message_type = GRPC_TYPES[method]
    if method == "GetIamPolicy":
        return json_format.MessageToDict(json_format.ParseDict(page, message_type()))
    message = message_type.from_json(json.dumps(page))
    return json.loads(message_type.to_json(message, use_integers_for_enums=False))


def without_defaults(value: Any) -> Any:
    """A JSON value less its fields at their default (empty, zero, false, an enum's *_UNSPECIFIED): a proto does not tell them from absent."""
    if isinstance(value, dict):
        kept = {k: without_defaults(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in ({}, [], "", 0, False, None) and not _unspecified(v)}
    if isinstance(value, list):
        return [without_defaults(v) for v in value]
    return value


def _unspecified(value: Any) -> bool:
    return isinstance(value, str) and value.endswith("_UNSPECIFIED")  # an enum's zero value


def test_grpc_fixtures_parse_strictly_into_the_iam_protos():
    responses = json.loads((FIXTURES / "api" / "grpc.json").read_text())
    assert set(responses) == set(GRPC_TYPES)
    parsed = dict.fromkeys(GRPC_TYPES, 0)
    for method, table in responses.items():
        for pages in table.values():
            for page in [] if "error" in pages else pages.values():
                # every field and enum name survives: nothing is dropped, renamed or retyped
                assert without_defaults(round_trip(method, page)) == without_defaults(page), f"{method}: {page}"
                parsed[method] += 1
    assert all(parsed.values()), parsed
    # the parse is strict, so a misspelt or invented field in a fixture cannot pass unseen
    with pytest.raises(json_format.ParseError, match="emial"):
        round_trip("ListServiceAccounts", {"accounts": [{"emial": "ci@acme-dev.iam.gserviceaccount.com"}]})
    with pytest.raises(json_format.ParseError, match="etagg"):
        round_trip("GetIamPolicy", {"bindings": [], "etagg": "x"})


def _camel(name: str) -> str:
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)


@pytest.mark.parametrize(
    "pattern, doc, schema",
    [
        ("asset-search.json", ASSET, "IamPolicySearchResult"),
        ("service-accounts.json", IAM, "ServiceAccount"),
        ("keys-*.json", IAM, "ServiceAccountKey"),
        ("activity-*.json", PA, "GoogleCloudPolicyanalyzerV1Activity"),
        ("wif-providers-*.json", IAM, "WorkloadIdentityPoolProvider"),
        ("org-policy-*.json", OP, "GoogleCloudOrgpolicyV2Policy"),
        ("custom-roles-*.json", IAM, "Role"),
        ("compute-instances.json", COMPUTE, "Instance"),
        ("run-services.json", "run.v1", "Service"),  # gcloud prints the v1 (Knative) records
        ("functions.json", FUNCTIONS, "Function"),
        ("container-clusters.json", CONTAINER, "Cluster"),
        ("recommendations-*.json", REC, "GoogleCloudRecommenderV1Recommendation"),
    ],
)
def test_import_files_match_google_schemas(pattern, doc, schema):
    paths = sorted((FIXTURES / "import").glob(pattern))
    assert paths
    for path in paths:
        data = json.loads(path.read_text())
        for i, item in enumerate(data if isinstance(data, list) else [data]):
            check(item, doc, schema, f"{path.name}[{i}]")


def test_asset_export_lines_are_cloud_asset_assets():
    lines = (FIXTURES / "import" / "asset-export.jsonl").read_text().splitlines()
    assert lines
    for i, line in enumerate(lines):
        asset = {_camel(k): v for k, v in json.loads(line).items()}
        check(asset, ASSET, "Asset", f"asset-export.jsonl line {i + 1}")
