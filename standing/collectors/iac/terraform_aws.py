"""Terraform's AWS IAM resources: users, roles and their trusts, access keys, policies and attachments."""

from __future__ import annotations

from typing import Any

from standing.collectors.iac.estate import oidc_issuer, oidc_provider_arn
from standing.collectors.iac.plan import Instance, instance_config_path
from standing.collectors.iac.terraform_policy_document import OidcProvider, rebuild_policy_document
from standing.collectors.iac.terraform_view import PlanView, tags_of
from standing.core.model import CredentialKind, IdentityKind, Provider

_PROVIDER = "aws_iam_openid_connect_provider"


class AwsResources(PlanView):
    def aws_principal(self, instance: Instance, attribute: str, kind: IdentityKind) -> str | None:
        resource_type = "aws_iam_user" if kind is IdentityKind.USER else "aws_iam_role"
        if attribute in instance.values and not instance.is_unknown(attribute):
            name = str(instance.values[attribute])
            name = name.rsplit("/", 1)[-1] if name.startswith("arn:") else name
            candidate = self.named((resource_type,), "name", name)
            if candidate is not None:
                return candidate.address
            label = "user" if kind is IdentityKind.USER else "role"
            return self.out.identity(
                None, id=f"aws:{label}/{name}", provider=Provider.AWS, kind=kind, name=name, account=self.account
            )
        found = self.target(instance, attribute, (resource_type,))
        return found.address if found is not None else None

    def aws_user(self, instance: Instance) -> None:
        self.out.identity(
            instance.address,
            id=instance.address,
            provider=Provider.AWS,
            kind=IdentityKind.USER,
            name=instance.known("name") or instance.address,
            account=self.account,
            tags=tags_of(instance.known("tags")),
        )

    def aws_document(self, instance: Instance, attribute: str) -> tuple[Any, bool]:
        """A policy document attribute: as planned, or rebuilt from the ``aws_iam_policy_document`` it
        reads at apply. The flag says an unknown was already reported (by argument)."""
        document = instance.known(attribute)
        if isinstance(document, str):
            return self._urls_as_stored(instance, attribute, document), False
        if document is not None or not instance.is_unknown(attribute):
            return document, False
        read = self.plan.deferred_read(instance, attribute, "aws_iam_policy_document")
        if read is None:
            return None, False
        rebuilt = rebuild_policy_document(read, lambda ref: self._oidc_provider(instance, ref))
        for gap in rebuilt.gaps:
            self.out.unknown(
                Provider.AWS,
                instance.address,
                attribute,
                f"{read.instance.address} is read only at apply and its {gap} is known only after apply",
            )
        return rebuilt.document, True

    def _urls_as_stored(self, instance: Instance, attribute: str, document: str) -> str:
        """A document built in place from a provider's ``url`` (``"${aws_iam_openid_connect_provider.x.url}:sub"``)
        with the URL as IAM stores it: the plan shows it as configured, with ``https://``."""
        for reference in self._references(instance, attribute):
            parts = reference.split(".")
            if len(parts) == 3 and parts[0] == _PROVIDER and parts[2] == "url":
                provider = self._oidc_provider(instance, f"{parts[0]}.{parts[1]}")
                if provider is not None and provider.url != provider.issuer:
                    document = document.replace(f'"{provider.url}:', f'"{provider.issuer}:')
        return document

    def _references(self, instance: Instance, attribute: str) -> list[str]:
        expressions = self.plan.expressions(instance_config_path(instance), f"{instance.type}.{instance.name}")
        expression = (expressions or {}).get(attribute)
        references = expression.get("references") if isinstance(expression, dict) else None
        return [r for r in references or [] if isinstance(r, str)]

    def _oidc_provider(self, origin: Instance, reference: str) -> OidcProvider | None:
        """The OIDC provider of this plan a reference names, with its URL as planned and its ARN."""
        name = reference.split(".", 1)[1]
        found = self.index.resource(origin.module, f"{_PROVIDER}.{name}")
        if len(found) != 1 or not isinstance(url := found[0].known("url"), str) or not url:
            return None
        arn = found[0].known("arn")
        return OidcProvider(
            url=url,
            issuer=oidc_issuer(url),
            arn=arn if isinstance(arn, str) else oidc_provider_arn(url, self.account),
        )

    def aws_role(self, instance: Instance) -> None:
        trust, reported = self.aws_document(instance, "assume_role_policy")
        parsed = self.out.aws_trust(instance.address, instance.address, trust) if trust is not None else None
        self.out.identity(
            instance.address,
            id=instance.address,
            provider=Provider.AWS,
            kind=IdentityKind.ROLE,
            name=instance.known("name") or instance.address,
            account=self.account,
            tags=tags_of(instance.known("tags")),
            trust_policy=parsed,
        )
        if trust is None and not reported:
            self._unresolved_trust(instance)
        for block in instance.known("inline_policy") or []:
            if isinstance(block, dict) and block.get("policy"):
                policy_id = f"{instance.address}#inline:{block.get('name') or 'policy'}"
                if self.out.aws_policy(instance.address, policy_id, str(block.get("name")), block["policy"]):
                    self.out.attach_aws(instance.address, instance.address, policy_id, self.account)
        for arn in instance.known("managed_policy_arns") or []:
            self.out.attach_aws(
                instance.address,
                instance.address,
                self.out.aws_managed_policy(instance.address, str(arn)),
                self.account,
            )

    def _unresolved_trust(self, instance: Instance) -> None:
        references = self._references(instance, "assume_role_policy")
        providers = sorted({r for r in references if r.startswith(f"{_PROVIDER}.") and r.count(".") >= 2})
        if not providers:
            self.unresolved(instance, "assume_role_policy", "the trust policy", Provider.AWS)
            return
        self.out.unknown(
            Provider.AWS,
            instance.address,
            "assume_role_policy",
            f"the trust policy is known only after apply: it is built in place from {', '.join(providers)}, "
            "which the plan does not show; write it as a data.aws_iam_policy_document for the gate to read it",
        )

    def aws_access_key(self, instance: Instance) -> None:
        owner = self.aws_principal(instance, "user", IdentityKind.USER)
        if owner is None:
            owner = self.placeholder(instance, "user", Provider.AWS, IdentityKind.USER)
        self.out.credential(
            instance.address,
            identity_id=owner,
            kind=CredentialKind.ACCESS_KEY,
            active=instance.known("status") != "Inactive",
            created=self.created(instance),
        )

    def aws_policy(self, instance: Instance) -> None:
        document, reported = self.aws_document(instance, "policy")
        if document is None:
            if not reported:
                self.unresolved(instance, "policy", "the policy document", Provider.AWS)
            return
        self.out.aws_policy(instance.address, instance.address, instance.known("name") or instance.address, document)

    def aws_inline_policy(self, instance: Instance) -> None:
        kind = IdentityKind.USER if instance.type == "aws_iam_user_policy" else IdentityKind.ROLE
        attribute = "user" if kind is IdentityKind.USER else "role"
        holder = self.aws_principal(instance, attribute, kind)
        document, reported = self.aws_document(instance, "policy")
        if holder is None or document is None:
            if holder is not None and reported:
                return
            self.unresolved(
                instance,
                attribute if holder is None else "policy",
                "the holder" if holder is None else "the policy document",
                Provider.AWS,
            )
            return
        if self.out.aws_policy(
            instance.address, instance.address, instance.known("name") or instance.address, document
        ):
            self.out.attach_aws(instance.address, holder, instance.address, self.account)

    def aws_attachment(self, instance: Instance) -> None:
        policy = self._aws_policy_arn(instance)
        if policy is None:
            return
        if instance.type == "aws_iam_policy_attachment":
            holders = [(n, IdentityKind.USER) for n in instance.known("users") or []] + [
                (n, IdentityKind.ROLE) for n in instance.known("roles") or []
            ]
            for name, kind in holders:
                label = "user" if kind is IdentityKind.USER else "role"
                member = self._by_name(name, kind) or self.out.identity(
                    None, id=f"aws:{label}/{name}", provider=Provider.AWS, kind=kind, name=name, account=self.account
                )
                self.out.attach_aws(instance.address, member, policy, self.account)
            return
        kind = IdentityKind.USER if instance.type == "aws_iam_user_policy_attachment" else IdentityKind.ROLE
        attribute = "user" if kind is IdentityKind.USER else "role"
        holder = self.aws_principal(instance, attribute, kind)
        if holder is None:
            self.unresolved(instance, attribute, "the holder", Provider.AWS)
            return
        self.out.attach_aws(instance.address, holder, policy, self.account)

    def _aws_policy_arn(self, instance: Instance) -> str | None:
        arn = instance.known("policy_arn")
        if arn is not None:
            candidate = self.named(("aws_iam_policy",), "arn", arn)
            if candidate is not None:
                return candidate.address
            return self.out.aws_managed_policy(instance.address, str(arn))
        found = self.target(instance, "policy_arn", ("aws_iam_policy",))
        if found is None or found.address not in self.out.roles:
            self.unresolved(instance, "policy_arn", "the attached policy", Provider.AWS)
            return None
        return found.address

    def _by_name(self, name: str, kind: IdentityKind) -> str | None:
        resource_type = "aws_iam_user" if kind is IdentityKind.USER else "aws_iam_role"
        candidate = self.named((resource_type,), "name", name)
        return candidate.address if candidate is not None else None
