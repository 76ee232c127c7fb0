"""Handlers for the demo processes. They stand in for real services."""

from __future__ import annotations

from ..handlers import JobContext, handler


@handler("demo.reserve-stock")
def reserve_stock(job: JobContext) -> dict:
    return {"reservationId": f"RES-{str(job.key)[-6:]}"}


class PaymentDeclined(Exception):
    pass


@handler("demo.charge-payment")
def charge_payment(job: JobContext) -> dict:
    if job.variables.get("card") == "declined":
        raise PaymentDeclined(f"card declined for order {job.variables.get('orderId')}")
    return {"paymentId": f"PAY-{str(job.key)[-6:]}"}


@handler("demo.send-reminder")
def send_reminder(job: JobContext) -> dict:
    return {"reminderSent": True}


@handler("demo.send-survey")
def send_survey(job: JobContext) -> dict:
    return {"surveySent": True}
