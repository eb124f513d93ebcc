"""Answers moto lacks for reads the AWS collector makes, so a scan of moto sees AWS's shape.

moto 5.2 has no SSM ``DescribeInstanceInformation``: in process it raises
``NotImplementedError`` and its server answers 500, which botocore retries ten times per
region. No instance in moto runs an SSM agent, so AWS's answer there is an empty list; this
adds that answer to moto's SSM responder, which then serializes it in AWS's JSON wire format
(in process and over HTTP alike). Kept apart so the demo server and the tests share it.
"""

from __future__ import annotations

import json


def fill_moto_gaps() -> None:
    """Idempotent; only adds what this moto lacks, never replaces what it has."""
    from moto.ssm.responses import SimpleSystemManagerResponse

    if "describe_instance_information" not in vars(SimpleSystemManagerResponse):

        def describe_instance_information(self: SimpleSystemManagerResponse) -> str:
            return json.dumps({"InstanceInformationList": []})

        SimpleSystemManagerResponse.describe_instance_information = describe_instance_information  # type: ignore[attr-defined]
