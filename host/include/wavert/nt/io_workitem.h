// Work items (wdm.h): routines that run at PASSIVE_LEVEL on a system worker thread. Included by
// ke.h so that the dispatcher owns them; DEVICE_OBJECT's body is io.h's.
#pragma once

#include "wavert/nt/callsite.h"
#include "wavert/nt/types.h"

struct _DEVICE_OBJECT;
typedef struct _DEVICE_OBJECT DEVICE_OBJECT, *PDEVICE_OBJECT;

// Opaque, allocated by the host (IoAllocateWorkItem) and freed by IoFreeWorkItem.
struct _IO_WORKITEM;
typedef struct _IO_WORKITEM* PIO_WORKITEM;

typedef VOID IO_WORKITEM_ROUTINE(PDEVICE_OBJECT DeviceObject, PVOID Context);
typedef IO_WORKITEM_ROUTINE* PIO_WORKITEM_ROUTINE;

typedef enum _WORK_QUEUE_TYPE {
  CriticalWorkQueue,
  DelayedWorkQueue,
  HyperCriticalWorkQueue,
  NormalWorkQueue,
  BackgroundWorkQueue,
  RealTimeWorkQueue,
  SuperCriticalWorkQueue,
  MaximumWorkQueue,
  CustomPriorityWorkQueue = 32,
} WORK_QUEUE_TYPE;

extern "C" {
// NULL on failure (FaultSite::WorkItem injects one). _IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI PIO_WORKITEM IoAllocateWorkItem(PDEVICE_OBJECT DeviceObject, WAVERT_CALLER);
// Queueing an item that is already queued is a BadArgument report (Windows bug-checks).
NTKERNELAPI VOID IoQueueWorkItem(PIO_WORKITEM IoWorkItem, PIO_WORKITEM_ROUTINE WorkerRoutine,
                                 WORK_QUEUE_TYPE QueueType, PVOID Context, WAVERT_CALLER);
// Freeing a queued item is a BadArgument report; the item is freed once its routine has run.
NTKERNELAPI VOID IoFreeWorkItem(PIO_WORKITEM IoWorkItem, WAVERT_CALLER);
}
