"""Events as AWS delivers them, read at a handler's edge into our models: the domain never sees their JSON."""

from __future__ import annotations

import json
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.data_classes import S3Event

from connectability.models.manifests import StoredObject


def stored_objects(body: str) -> list[StoredObject]:
    """The objects an S3 notification (an SQS message's body) says were stored. S3's test event, sent once when a
    bucket's notifications are set up, and records of other kinds name none. S3 encodes keys as in a URL's
    query (a space is '+'); the stored key is the decoded one."""
    data = json.loads(body)
    if not isinstance(data, dict) or data.get("Event") == "s3:TestEvent" or "Records" not in data:
        return []
    return [
        StoredObject(
            bucket=record.s3.bucket.name,
            key=unquote_plus(record.s3.get_object.key),
            version_id=record.s3.get_object.version_id,
            size=record.s3.get_object.get("size"),  # a lenient read: not every S3 event names it
        )
        for record in S3Event(data).records
        if record.event_name.startswith("ObjectCreated")
    ]
