"""The SAM transform (`Transform: AWS::Serverless-2016-10-31`), run by aws-sam-translator.

aws-sam-translator is the library behind the transform on AWS itself; it turns
`AWS::Serverless::Function` (with its Events, Policies and Globals), `SimpleTable`, ... into
plain CloudFormation. It runs offline here: the partition's managed policy ARNs come from the
map bundled with the library, and the region is the stack's. A template it refuses fails
the way AWS words it: "Transform AWS::Serverless-2016-10-31 failed with: ...".
"""

from __future__ import annotations

import copy
import logging
from typing import Any

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
# The translator's metrics go nowhere here; it warns about unpublished ones when they are freed.
logging.getLogger("samtranslator.metrics.metrics").setLevel(logging.ERROR)


class TransformFailed(Exception):
    """The SAM translator refused the template (an invalid SAM document)."""


def transforms_of(template: dict[str, Any]) -> list[str]:
    """The template's declared transforms (`Transform` may be one name or a list)."""
    declared = template.get("Transform") or []
    return [declared] if isinstance(declared, str) else list(declared)


def is_sam(template: dict[str, Any]) -> bool:
    return SAM_TRANSFORM in transforms_of(template)


def transform(template: dict[str, Any], parameters: dict[str, Any], region: str) -> dict[str, Any]:
    """The plain CloudFormation template that `template` (a SAM template) stands for."""
    import boto3
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    translator = Translator(None, Parser(), boto_session=boto3.Session(region_name=region))
    try:
        processed = translator.translate(
            copy.deepcopy(template),
            parameter_values=dict(parameters),
            get_managed_policy_map=dict,  # names beyond the bundled map stay unknown
        )
    except InvalidDocumentException as error:
        causes = " ".join(cause.message for cause in error.causes)
        raise TransformFailed(
            f"Transform {SAM_TRANSFORM} failed with: {error.message} {causes}"
        ) from error
    return processed
