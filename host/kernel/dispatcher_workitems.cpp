// Work items: routines run at PASSIVE_LEVEL on one worker thread (a logical thread in simulated
// time), in the order they were queued.
#include "dispatcher_internal.hpp"
#include "wavert/host/faults.hpp"

namespace wavert::host::detail {

void worker_main() {
  Dispatcher& d = g_dispatcher;
  const WAVERT_CALL_SITE site{"(work-item worker)", "worker_main", 0};
  for (;;) {
    DISPATCHER_HEADER* event = &d.work_event.Header;
    wait_for_objects(1, &event, WaitAny, std::nullopt, /*idle=*/true, site);
    Lock lock(d.mutex);
    while (!d.work_queue.empty()) {
      _IO_WORKITEM* item = d.work_queue.front();
      d.work_queue.pop_front();
      item->queued = false;
      item->running = true;
      const PIO_WORKITEM_ROUTINE routine = item->routine;
      PDEVICE_OBJECT device = item->device;
      PVOID context = item->context;
      trace_locked(TraceKind::WorkItemRun, item, self_thread()->id);
      lock.unlock();
      routine(device, context);
      if (current_irql() != PASSIVE_LEVEL) {
        verifier_report(Rule::IrqlNotRestored, site,
                        "work item routine %p returned at IRQL %u; it was called at PASSIVE_LEVEL and must "
                        "return at it", reinterpret_cast<void*>(routine), unsigned{current_irql()});
        set_current_irql(PASSIVE_LEVEL);
      }
      lock.lock();
      item->running = false;
      if (item->free_pending && !item->queued) {
        d.work_items.erase(item);
        delete item;
      }
    }
    if (d.worker_stop) return;
  }
}

} // namespace wavert::host::detail

using namespace wavert::host;
using namespace wavert::host::detail;

extern "C" {

PIO_WORKITEM IoAllocateWorkItem(PDEVICE_OBJECT DeviceObject, WAVERT_CALL_SITE CallSite) {
  if (DeviceObject == nullptr) {
    verifier_report(Rule::BadArgument, CallSite, "IoAllocateWorkItem(NULL): a work item belongs to a device object");
    return nullptr;
  }
  if (current_irql() > DISPATCH_LEVEL) {
    verifier_report(Rule::IrqlTooHigh, CallSite, "IoAllocateWorkItem at IRQL %u; the limit is DISPATCH_LEVEL (2)",
                    unsigned{current_irql()});
    return nullptr;
  }
  if (fault_should_fail(FaultSite::WorkItem, CallSite)) return nullptr;
  auto* item = new _IO_WORKITEM;
  item->device = DeviceObject;
  item->allocated_at = CallSite;
  Lock lock(g_dispatcher.mutex);
  g_dispatcher.work_items.insert(item);
  return item;
}

VOID IoQueueWorkItem(PIO_WORKITEM IoWorkItem, PIO_WORKITEM_ROUTINE WorkerRoutine, WORK_QUEUE_TYPE QueueType,
                     PVOID Context, WAVERT_CALL_SITE CallSite) {
  if (current_irql() > DISPATCH_LEVEL) {
    verifier_report(Rule::IrqlTooHigh, CallSite, "IoQueueWorkItem at IRQL %u; the limit is DISPATCH_LEVEL (2)",
                    unsigned{current_irql()});
    return;
  }
  Dispatcher& d = g_dispatcher;
  Lock lock(d.mutex);
  if (IoWorkItem == nullptr || d.work_items.count(IoWorkItem) == 0 || IoWorkItem->free_pending || WorkerRoutine == nullptr) {
    lock.unlock();
    verifier_report(Rule::BadArgument, CallSite,
                    "IoQueueWorkItem(%p, routine %p): needs a live work item from IoAllocateWorkItem and a routine",
                    static_cast<void*>(IoWorkItem), reinterpret_cast<void*>(WorkerRoutine));
    return;
  }
  if (IoWorkItem->queued) {
    lock.unlock();
    verifier_report(Rule::BadArgument, CallSite,
                    "IoQueueWorkItem on work item %p, which is already queued: wait for its routine to run "
                    "before queueing it again", static_cast<void*>(IoWorkItem));
    return;
  }
  IoWorkItem->routine = WorkerRoutine;
  IoWorkItem->context = Context;
  IoWorkItem->queued = true;
  d.work_queue.push_back(IoWorkItem);
  signal_event_locked(&d.work_event);
}

VOID IoFreeWorkItem(PIO_WORKITEM IoWorkItem, WAVERT_CALL_SITE CallSite) {
  Dispatcher& d = g_dispatcher;
  Lock lock(d.mutex);
  if (IoWorkItem == nullptr || d.work_items.count(IoWorkItem) == 0 || IoWorkItem->free_pending) {
    lock.unlock();
    verifier_report(Rule::BadArgument, CallSite, "IoFreeWorkItem(%p): not a live work item (freed twice?)",
                    static_cast<void*>(IoWorkItem));
    return;
  }
  if (IoWorkItem->queued) {
    lock.unlock();
    verifier_report(Rule::BadArgument, CallSite,
                    "IoFreeWorkItem on work item %p while it is queued: free it in or after its routine; the host "
                    "frees it once the routine has run", static_cast<void*>(IoWorkItem));
    lock.lock();
    IoWorkItem->free_pending = true;
    return;
  }
  if (IoWorkItem->running) {
    // Freeing from its own routine is the usual pattern: the worker frees it when the routine returns.
    IoWorkItem->free_pending = true;
    return;
  }
  d.work_items.erase(IoWorkItem);
  delete IoWorkItem;
}

} // extern "C"
