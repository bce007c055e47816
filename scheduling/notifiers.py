"""Failure notifications: always a log line; a webhook and e-mail when configured.

Configured by environment (the same on every worker): OS10_ALERT_WEBHOOK (a URL that receives a
JSON POST) and OS10_ALERT_EMAIL (addresses, comma-separated, sent through Airflow's SMTP
notifier and its `smtp_default` connection).
"""

from __future__ import annotations

import logging
import os

import requests
from airflow.sdk import BaseNotifier

log = logging.getLogger("os10.alerts")


def _what(context) -> dict:
    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    exception = context.get("exception")
    return {
        "dag_id": getattr(ti, "dag_id", None),
        "task_id": getattr(ti, "task_id", None),
        "run_id": getattr(dag_run, "run_id", None),
        "try_number": getattr(ti, "try_number", None),
        "reason": str(exception) if exception else "the task failed",
    }


class LogNotifier(BaseNotifier):
    """Writes one ERROR line an operator can grep for: `os10 alert: ...`."""

    def notify(self, context) -> None:
        what = _what(context)
        log.error("os10 alert: %s.%s failed in run %s (try %s): %s", what["dag_id"],
                  what["task_id"], what["run_id"], what["try_number"], what["reason"])


class WebhookNotifier(BaseNotifier):
    """POSTs the failure as JSON; a webhook that is down is logged, never raised."""

    template_fields = ("url",)

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url

    def notify(self, context) -> None:
        payload = {"event": "os10.task_failed", **_what(context)}
        try:
            requests.post(self.url, json=payload, timeout=10).raise_for_status()
        except requests.RequestException as exc:
            log.warning("The failure webhook %s could not be reached: %s", self.url, exc)


def failure_notifiers() -> list[BaseNotifier]:
    notifiers: list[BaseNotifier] = [LogNotifier()]
    if url := os.environ.get("OS10_ALERT_WEBHOOK"):
        notifiers.append(WebhookNotifier(url))
    if addresses := os.environ.get("OS10_ALERT_EMAIL"):
        from airflow.providers.smtp.notifications.smtp import SmtpNotifier

        notifiers.append(SmtpNotifier(
            to=[a.strip() for a in addresses.split(",") if a.strip()],
            subject="os10-harvest: {{ ti.dag_id }}.{{ ti.task_id }} failed",
            html_content="{{ exception }}"))
    return notifiers
