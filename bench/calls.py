"""One hook on every AWS call this process makes: boto3's clients and PynamoDB's alike go through botocore."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import botocore.client

Call = Callable[[Any, str, Any], Any]  # (client, operation, params) -> answer


def operation_name(client: Any, operation: str) -> str:
    """`service:Operation`, e.g. `dynamodb:TransactWriteItems`."""
    return f"{client.meta.service_model.service_name}:{operation}"


@contextmanager
def wrapped_calls(wrap: Callable[[Call], Call]) -> Iterator[None]:
    """While inside, every API call goes through `wrap(real)`; the real method is restored on the way out."""
    real: Call = botocore.client.BaseClient._make_api_call  # type: ignore[attr-defined]
    botocore.client.BaseClient._make_api_call = wrap(real)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        botocore.client.BaseClient._make_api_call = real  # type: ignore[attr-defined]


@contextmanager
def counting() -> Iterator[Counter[str]]:
    """Count every AWS API call any botocore client makes (boto3 and PynamoDB alike)."""
    calls: Counter[str] = Counter()

    def counter(real: Call) -> Call:
        def counted(client: Any, operation: str, params: Any) -> Any:
            calls[operation_name(client, operation)] += 1
            return real(client, operation, params)

        return counted

    with wrapped_calls(counter):
        yield calls
