"""The errors that count as "a public stats store failed".

The stores use `tally.platform.aws.dynamodb_fail_fast_client` (two attempts, short timeouts): this
endpoint degrades to a stale or freshly computed answer instead of waiting out a throttled or
unreachable table.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

#: What a store call raises when DynamoDB throttles, errs or cannot be reached.
STORE_ERRORS: tuple[type[Exception], ...] = (ClientError, BotoCoreError)
