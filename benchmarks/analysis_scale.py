"""How graph build, every rule, escalation search and risk scale with the estate.

Builds synthetic AWS-shaped inventories in memory (no cloud, no moto) with, per identity,
2 credentials and 10 grants, in accounts of 500 identities (an organization grows by
accounts): 10k, 30k and 100k identities by default (the last is 200,000 credentials and
1,000,000 grants in 200 accounts). Prints seconds per stage and the process's peak memory; "total" is the analysis (graph,
rules, paths, risk) the target is about, and plans-s what `scan --output-dir` adds after it.
Target from the roadmap: 100k in at most 60 s and 4 GiB on 2 cores, growth about linear.

    python benchmarks/analysis_scale.py [--sizes 10000 30000 100000]

Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import random
import resource
import time
from datetime import UTC, datetime, timedelta

from standing.analysis.graph import PrivilegeGraph
from standing.analysis.risk import RiskModel, enrich
from standing.core.model import (
    Credential,
    CredentialKind,
    Grant,
    Identity,
    IdentityKind,
    Inventory,
    Provider,
    Role,
    ScanMeta,
    Scope,
    ScopeKind,
    Trust,
    TrustKind,
    UsageStatus,
    WorkloadKind,
)
from standing.planner.document import plan_estate
from standing.rules.analyse import long_lived_heap
from standing.rules.config import ScanConfig
from standing.rules.registry import run_rules, traits_of

NOW = datetime(2026, 6, 1, tzinfo=UTC)
IDENTITIES_PER_ACCOUNT = 500  # an organization grows by adding accounts, not by growing each one
POLICIES_PER_ACCOUNT = 60
SERVICES = ["s3", "dynamodb", "sqs", "sns", "lambda", "ec2", "logs", "kms", "secretsmanager", "bedrock"]


def _policies(rng: random.Random, account: str, n: int) -> list[Role]:
    roles = []
    for i in range(n):
        service = rng.choice(SERVICES)
        statements = [{"Effect": "Allow", "Action": [f"{service}:Get*", f"{service}:List*"], "Resource": "*"}]
        if rng.random() < 0.3:
            statements.append(
                {"Effect": "Allow", "Action": f"{service}:*", "Resource": f"arn:aws:{service}:::{account}-data-{i}/*"}
            )
        if rng.random() < 0.02:
            statements.append(
                {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{account}:role/svc-*"}
            )
        if rng.random() < 0.01:
            statements.append(
                {
                    "Effect": "Allow",
                    "Action": ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"],
                    "Resource": "*",
                }
            )
        roles.append(
            Role(
                id=f"arn:aws:iam::{account}:policy/p{i}",
                provider=Provider.AWS,
                name=f"p{i}",
                account=account,
                documents=[{"Version": "2012-10-17", "Statement": statements}],
            )
        )
    admin = Role(
        id=f"arn:aws:iam::{account}:policy/Admin",
        provider=Provider.AWS,
        name="Admin",
        account=account,
        documents=[{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}],
    )
    return roles + [admin]


def synthetic_inventory(n: int, seed: int = 0) -> Inventory:
    rng = random.Random(seed)
    identities, credentials, grants, trusts, roles, scopes = [], [], [], [], [], []
    accounts = [f"{100000000000 + i}" for i in range(max(1, n // IDENTITIES_PER_ACCOUNT))]
    per_account = max(1, n // len(accounts))
    for account in accounts:
        scope = f"aws:account:{account}"
        scopes.append(Scope(id=scope, provider=Provider.AWS, kind=ScopeKind.ACCOUNT, name=account))
        policies = _policies(rng, account, POLICIES_PER_ACCOUNT)
        roles += policies
        for i in range(per_account):
            is_role = i % 2 == 1
            kind = "role" if is_role else "user"
            ident_id = f"arn:aws:iam::{account}:{kind}/svc-{i}"
            identities.append(
                Identity(
                    id=ident_id,
                    provider=Provider.AWS,
                    kind=IdentityKind.ROLE if is_role else IdentityKind.USER,
                    account=account,
                    name=f"svc-{i}",
                    human=False,
                    workload=rng.choice(list(WorkloadKind)),
                    tags={"team": f"t{i % 40}"},
                    created=NOW - timedelta(days=rng.randrange(1, 900)),
                )
            )
            for slot in (1, 2):
                used = rng.random() < 0.8
                credentials.append(
                    Credential(
                        id=f"{ident_id}/k{slot}",
                        identity_id=ident_id,
                        kind=CredentialKind.FEDERATED if is_role else CredentialKind.ACCESS_KEY,
                        active=rng.random() < 0.7,
                        created=NOW - timedelta(days=rng.randrange(1, 800)),
                        last_used=NOW - timedelta(days=rng.randrange(0, 120)) if used else None,
                        last_used_status=UsageStatus.USED if used else UsageStatus.NEVER,
                    )
                )
            picks = rng.sample(policies[:-1], 10)
            if rng.random() < 0.005:
                picks[0] = policies[-1]
            grants += [Grant(principal_id=ident_id, role_id=p.id, scope_id=scope) for p in picks]
            if is_role:
                # Roughly what estates look like: mostly service roles, a third trusting their
                # own account, a few partners, and the rare role open to anyone.
                principal = rng.choices(
                    [f"arn:aws:iam::{account}:root", "lambda.amazonaws.com", "arn:aws:iam::999988887777:root", "*"],
                    weights=[35, 60, 4, 1],
                )[0]
                kind_ = {"*": TrustKind.ANY, "lambda.amazonaws.com": TrustKind.SERVICE}.get(
                    principal, TrustKind.ACCOUNT
                )
                trusts.append(
                    Trust(
                        target_id=ident_id,
                        principal=principal,
                        kind=kind_,
                        actions=["sts:AssumeRole"],
                        conditions={} if rng.random() < 0.9 else {"StringEquals": {"sts:ExternalId": "x"}},
                    )
                )
    meta = ScanMeta(tool_version="bench", started_at=NOW, finished_at=NOW, providers=[Provider.AWS])
    return Inventory(
        meta=meta,
        identities=identities,
        credentials=credentials,
        roles=roles,
        scopes=scopes,
        grants=grants,
        trusts=trusts,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    args = parser.parse_args()
    print(
        "identities  credentials    grants  generate-s  graph-s  rules-s  paths-s  risk-s  total-s"
        "  total-cpu-s  findings  plans-s  plans  peak-MiB"
    )
    for n in args.sizes:
        t0 = time.perf_counter()
        inventory = synthetic_inventory(n)
        t1, c1 = time.perf_counter(), time.process_time()
        with long_lived_heap():  # as analyse_estate does
            graph = PrivilegeGraph(inventory)
            t2 = time.perf_counter()
            hops = graph.paths_to_admin  # escalation edges and the reverse search
            t3 = time.perf_counter()
            findings = run_rules(graph, ScanConfig().rules, NOW)
            t4 = time.perf_counter()
            model = RiskModel(graph, NOW)
            enriched = enrich(findings, model, traits_of=traits_of)
            t5, c5 = time.perf_counter(), time.process_time()
            plans = plan_estate(model, enriched, generated_at=NOW)  # what scan --output-dir adds
            t6 = time.perf_counter()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        # CPU seconds beside wall seconds: on a shared machine the wall figure includes waiting.
        print(
            f"{len(inventory.identities):10d}  {len(inventory.credentials):11d}  {len(inventory.grants):8d}  "
            f"{t1 - t0:10.1f}  {t2 - t1:7.1f}  {t4 - t3:7.1f}  {t3 - t2:7.1f}  {t5 - t4:6.1f}  "
            f"{t5 - t1:7.1f}  {c5 - c1:11.1f}  {len(enriched):8d}  {t6 - t5:7.1f}  {len(plans.plans):5d}"
            f"  {peak:8.0f}",
            flush=True,
        )
        del hops, graph, findings, enriched, model, plans


if __name__ == "__main__":
    main()
