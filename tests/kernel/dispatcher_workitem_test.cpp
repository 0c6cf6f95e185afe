// Work items run at PASSIVE_LEVEL on the worker thread, in queue order, in both clock kinds.
#include <atomic>
#include <thread>

#include "kernel/dispatcher_fixture.hpp"
#include "wavert/host/faults.hpp"

using namespace wavert::host;
using namespace wavert::test;
using namespace std::chrono_literals;

namespace {

struct WorkLog {
  KEVENT done;
  std::atomic<int> runs{0};
  std::atomic<int> irql{-1};
  std::atomic<PKTHREAD> thread{nullptr};
  PDEVICE_OBJECT device = nullptr;
  PIO_WORKITEM item = nullptr;
  bool free_in_routine = false;
};

VOID LoggingWork(PDEVICE_OBJECT device, PVOID context) {
  auto* log = static_cast<WorkLog*>(context);
  log->irql = KeGetCurrentIrql();
  log->thread = KeGetCurrentThread();
  log->device = device;
  ++log->runs;
  if (log->free_in_routine) IoFreeWorkItem(log->item);
  KeSetEvent(&log->done, IO_NO_INCREMENT, FALSE);
}

class WorkItems : public BothClocks {
 protected:
  char device_storage_[64]{};
  PDEVICE_OBJECT device() { return reinterpret_cast<PDEVICE_OBJECT>(device_storage_); }
};
WAVERT_BOTH_CLOCKS(WorkItems);

TEST_P(WorkItems, RoutineRunsAtPassiveLevelOnTheWorkerThread) {
  WorkLog log;
  KeInitializeEvent(&log.done, NotificationEvent, FALSE);
  PIO_WORKITEM item = IoAllocateWorkItem(device());
  ASSERT_NE(item, nullptr);
  IoQueueWorkItem(item, LoggingWork, DelayedWorkQueue, &log);
  LARGE_INTEGER timeout = relative_ms(1000);
  ASSERT_EQ(KeWaitForSingleObject(&log.done, Executive, KernelMode, FALSE, &timeout), STATUS_WAIT_0);
  EXPECT_EQ(log.irql.load(), PASSIVE_LEVEL);
  EXPECT_NE(log.thread.load(), KeGetCurrentThread());
  EXPECT_EQ(log.device, device());
  IoFreeWorkItem(item);
}

TEST_P(WorkItems, QueuedFromADpcStillRunsAtPassiveLevel) {
  WorkLog log;
  KeInitializeEvent(&log.done, NotificationEvent, FALSE);
  log.item = IoAllocateWorkItem(device());
  ASSERT_NE(log.item, nullptr);
  log.free_in_routine = true;  // the usual pattern: the routine frees its own item
  KDPC dpc;
  KeInitializeDpc(&dpc, [](PKDPC, PVOID context, PVOID, PVOID) {
    auto* l = static_cast<WorkLog*>(context);
    IoQueueWorkItem(l->item, LoggingWork, DelayedWorkQueue, l);
  }, &log);
  KTIMER timer;
  KeInitializeTimer(&timer);
  KeSetTimer(&timer, relative_ms(1), &dpc);
  LARGE_INTEGER timeout = relative_ms(1000);
  ASSERT_EQ(KeWaitForSingleObject(&log.done, Executive, KernelMode, FALSE, &timeout), STATUS_WAIT_0);
  EXPECT_EQ(log.irql.load(), PASSIVE_LEVEL);
  KeFlushQueuedDpcs();
}

TEST_P(WorkItems, ItemsRunInQueueOrder) {
  static std::vector<int> order;  // written by the worker; read after `ran` says it is done
  static std::atomic<int> ran;
  order.clear();
  ran = 0;
  KEVENT done;
  KeInitializeEvent(&done, NotificationEvent, FALSE);
  PIO_WORKITEM items[3];
  for (auto& item : items) item = IoAllocateWorkItem(device());
  for (int i = 0; i < 3; ++i) {
    IoQueueWorkItem(items[i], [](PDEVICE_OBJECT, PVOID context) {
      order.push_back(static_cast<int>(reinterpret_cast<intptr_t>(context)));
      ++ran;
    }, DelayedWorkQueue, reinterpret_cast<PVOID>(static_cast<intptr_t>(i)));
  }
  EXPECT_TRUE(run_until([] { return ran.load() == 3; }, 1s));
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
  for (auto& item : items) IoFreeWorkItem(item);
}

TEST_P(WorkItems, AllocationFailsWhenInjected) {
  fail_nth(FaultSite::WorkItem, 1);
  EXPECT_EQ(IoAllocateWorkItem(device()), nullptr);
  clear_faults();
  PIO_WORKITEM item = IoAllocateWorkItem(device());
  EXPECT_NE(item, nullptr);
  IoFreeWorkItem(item);
}

TEST_P(WorkItems, MisuseIsReported) {
  RecordViolations record;
  EXPECT_EQ(IoAllocateWorkItem(nullptr), nullptr);
  EXPECT_EQ(record.count(Rule::BadArgument), 1u);
  PIO_WORKITEM item = IoAllocateWorkItem(device());
  IoFreeWorkItem(item);
  IoFreeWorkItem(item);  // double free
  EXPECT_EQ(record.count(Rule::BadArgument), 2u);
}

TEST_F(SimClock, QueueingAQueuedWorkItemIsReported) {
  char storage[16];
  PIO_WORKITEM item = IoAllocateWorkItem(reinterpret_cast<PDEVICE_OBJECT>(storage));
  static int runs;
  runs = 0;
  auto routine = [](PDEVICE_OBJECT, PVOID) { ++runs; };
  RecordViolations record;
  // In simulated time the worker cannot run before this thread blocks: the item stays queued.
  IoQueueWorkItem(item, routine, DelayedWorkQueue, nullptr);
  IoQueueWorkItem(item, routine, DelayedWorkQueue, nullptr);
  EXPECT_EQ(record.count(Rule::BadArgument), 1u);
  run_for(std::chrono::milliseconds(1));
  EXPECT_EQ(runs, 1);
  IoFreeWorkItem(item);
}

} // namespace
