"""Imported once by the server process that execution environments fork from (local/workers.py): the third-party
stack every function imports first, so an environment's cold start is the import of its own code.

Only libraries: nothing here reads the function's environment variables or makes a client, and Powertools'
event handler and data classes packages are left for `connectability` to import its own way.
"""

import boto3  # noqa: F401
import botocore.session  # noqa: F401
import pydantic  # noqa: F401
import pynamodb.models  # noqa: F401
from aws_lambda_powertools.logging import Logger  # noqa: F401
from aws_lambda_powertools.metrics import Metrics  # noqa: F401
