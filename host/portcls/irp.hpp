// The host's IRP: the few fields PortCls and an adapter driver read from the IRPs the host's PnP
// and power simulation sends. io.h leaves struct _IRP opaque; this is its definition.
//
// Not Windows' layout: no driver reads an IRP by offset except through IoGetCurrentIrpStackLocation,
// which a WaveRT adapter has no reason to call (it hands IRPs to PcDispatchIrp). Only host code
// includes this header.
#pragma once

#include <portcls.h>

// IRP_MJ_PNP minor functions (wdm.h values).
#define IRP_MN_START_DEVICE 0x00
#define IRP_MN_QUERY_REMOVE_DEVICE 0x01
#define IRP_MN_REMOVE_DEVICE 0x02
#define IRP_MN_CANCEL_REMOVE_DEVICE 0x03
#define IRP_MN_STOP_DEVICE 0x04
#define IRP_MN_QUERY_STOP_DEVICE 0x05
#define IRP_MN_CANCEL_STOP_DEVICE 0x06
#define IRP_MN_SURPRISE_REMOVAL 0x17
// IRP_MJ_POWER minor functions.
#define IRP_MN_WAIT_WAKE 0x00
#define IRP_MN_POWER_SEQUENCE 0x01
#define IRP_MN_SET_POWER 0x02
#define IRP_MN_QUERY_POWER 0x03

struct _IRP {
  UCHAR MajorFunction = 0;
  UCHAR MinorFunction = 0;
  // IRP_MN_START_DEVICE: the assigned resources (raw and translated), null for none.
  struct _CM_RESOURCE_LIST* AllocatedResources = nullptr;
  struct _CM_RESOURCE_LIST* AllocatedResourcesTranslated = nullptr;
  // IRP_MJ_POWER: the requested device power state.
  DEVICE_POWER_STATE DevicePowerState = PowerDeviceUnspecified;
  // IoStatus.
  NTSTATUS Status = STATUS_SUCCESS;
  ULONG_PTR Information = 0;
};
