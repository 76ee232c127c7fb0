"""Processes built with the builder, shared by the tests: one per feature family."""

from __future__ import annotations

from orchestration.builder import ProcessBuilder, SubProcess


def order() -> ProcessBuilder:
    """The example of the issue: job, exclusive split with a default, user task, waits."""
    return (
        ProcessBuilder("order", name="Order")
        .start("received")
        .service_task(
            "reserve",
            type="reserve-stock",
            retries=3,
            inputs={"amount": "=total"},
            outputs={"reservation": "=reservationId"},
        )
        .exclusive("big?", default="small")
        .branch("big", condition="=total > 500")
        .service_task("check", type="fraud-check")
        .end_branch()
        .branch("small")
        .end_branch()
        .join()
        .user_task("approve", candidate_groups=["approver"])
        .timer_catch("wait", duration="PT1H")
        .message_catch("paid", message="payment-received", correlation_key="=orderId")
        .end("done")
    )


def shop() -> ProcessBuilder:
    """Everything else: boundary paths, a loop, a subprocess, gateways, call activity, MI."""
    pack = (
        SubProcess("Pack items")
        .start()
        .service_task("Pick", type="pick", headers={"zone": "A"})
        .multi_instance("=items", element="item", output_collection="picked", output_element="=result")
        .parallel()
        .branch()
        .service_task("Box", type="box")
        .end_branch()
        .branch()
        .user_task("Label", assignee="=packer", due_date='=now() + duration("PT1H")', form_key="label-form")
        .end_branch()
        .join()
        .end()
    )
    cancel = SubProcess("Cancel").start("cancel requested", message="cancel").end("cancelled", terminate=True)
    return (
        ProcessBuilder("shop", name="Shop", version_tag="v1")
        .start("Order placed", message="order-placed")
        .service_task("Reserve stock", type="reserve")
        .on_timer("Too slow", duration="PT5M", interrupting=False)
        .send_task("Notify", type="notify", retries="5")
        .end("notified")
        .end_branch()
        .on_error("No stock", error="NO_STOCK")
        .user_task("Backorder", candidate_groups="sales,purchasing", candidate_users=["ann", "bob"])
        .connect_to("reserve-stock")
        .end_branch()
        .subprocess(pack)
        .on_error("Pack failed")
        .end("failed", error="PACK")
        .end_branch()
        .inclusive("Extras?", default="none")
        .branch("gift", condition="=gift")
        .manual_task("Wrap")
        .end_branch()
        .branch("card", condition="card")
        .script_task("Write card", expression='="Hi " + name', result_variable="text")
        .end_branch()
        .branch("none")
        .end_branch()
        .join()
        .call_activity("Ship", process_id="shipping", propagate_all_child_variables=False, inputs={"to": "=address"})
        .on_message("Address changed", message="address-changed", correlation_key="=orderId", interrupting=False)
        .task("Update label")
        .end("updated")
        .end_branch()
        .exclusive("Delivered?")
        .branch("yes", condition="=delivered")
        .end("done")
        .end_branch()
        .branch("no", condition="=not(delivered)")
        .receive_task("Complaint", message="complaint", correlation_key="=orderId")
        .connect_to("ship")
        .end_branch()
        .end_split()
        .event_subprocess(cancel)
    )


def nightly() -> ProcessBuilder:
    """A timer start, sequential multi-instance, nested subprocesses, a loop back."""
    inner = SubProcess("Inner").start().task("Deep").end()
    outer = (
        SubProcess("Outer")
        .start()
        .subprocess(inner)
        .on_timer("Late", date="2030-01-01T00:00:00Z")
        .end()
        .end_branch()
        .end()
    )
    return (
        ProcessBuilder("nightly")
        .start("Every night", cycle="R/P1D")
        .service_task("Export", type="export")
        .multi_instance("=tables", element="table", sequential=True, completion_condition="=done")
        .subprocess(outer)
        .exclusive("Again?", default="no")
        .branch("yes", condition="=again")
        .connect_to("export")
        .end_branch()
        .branch("no")
        .end_branch()
        .join()
        .end("finished")
    )


ALL = {"order": order, "shop": shop, "nightly": nightly}
