"""Which of our errors Airflow should retry, and which should fail the task at once."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from airflow.sdk.exceptions import AirflowFailException

from errors import Os10Error, RetriableError, StoreError


def classified(step: Callable) -> Callable:
    """Retriable errors (timeouts, 5xx, 429, a database that went away) propagate so Airflow
    retries with backoff; any other error of ours is fatal for this run: fail at once, with the
    sentence in the task log and the run record."""

    @wraps(step)
    def run(*args, **kwargs):
        try:
            return step(*args, **kwargs)
        except (RetriableError, StoreError):
            raise
        except Os10Error as exc:
            raise AirflowFailException(str(exc)) from exc

    return run
