"""Terraform's AWS IAM resources: users, roles and their trusts, access keys, policies and attachments."""

from __future__ import annotations

from standing.collectors.iac.plan import Instance
from standing.collectors.iac.terraform_view import PlanView, tags_of
from standing.core.model import CredentialKind, IdentityKind, Provider


class AwsResources(PlanView):
    def aws_principal(self, instance: Instance, attribute: str, kind: IdentityKind) -> str | None:
        resource_type = "aws_iam_user" if kind is IdentityKind.USER else "aws_iam_role"
        if attribute in instance.values and not instance.is_unknown(attribute):
            name = str(instance.values[attribute])
            name = name.rsplit("/", 1)[-1] if name.startswith("arn:") else name
            for candidate in self.by_type.get(resource_type, []):
                if candidate.known("name") == name:
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

    def aws_role(self, instance: Instance) -> None:
        trust = instance.known("assume_role_policy")
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
        if trust is None:
            self.unresolved(instance, "assume_role_policy", "the trust policy", Provider.AWS)
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
        document = instance.known("policy")
        if document is None:
            self.unresolved(instance, "policy", "the policy document", Provider.AWS)
            return
        self.out.aws_policy(instance.address, instance.address, instance.known("name") or instance.address, document)

    def aws_inline_policy(self, instance: Instance) -> None:
        kind = IdentityKind.USER if instance.type == "aws_iam_user_policy" else IdentityKind.ROLE
        attribute = "user" if kind is IdentityKind.USER else "role"
        holder = self.aws_principal(instance, attribute, kind)
        document = instance.known("policy")
        if holder is None or document is None:
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
            for candidate in self.by_type.get("aws_iam_policy", []):
                if candidate.known("arn") == arn:
                    return candidate.address
            return self.out.aws_managed_policy(instance.address, str(arn))
        found = self.target(instance, "policy_arn", ("aws_iam_policy",))
        if found is None or found.address not in self.out.roles:
            self.unresolved(instance, "policy_arn", "the attached policy", Provider.AWS)
            return None
        return found.address

    def _by_name(self, name: str, kind: IdentityKind) -> str | None:
        resource_type = "aws_iam_user" if kind is IdentityKind.USER else "aws_iam_role"
        return next((c.address for c in self.by_type.get(resource_type, []) if c.known("name") == name), None)
