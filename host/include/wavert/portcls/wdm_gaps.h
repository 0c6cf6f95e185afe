// Kernel types that PortCls signatures need and that the host's wdm.h does not declare yet.
//
// Each block below belongs to another part of the WDK (wdm.h's I/O manager, power manager and
// configuration manager sections) and moves there when that part of the host grows it; the names,
// values and layouts are the WDK's, so the move is a cut and paste. Until then portcls.h declares
// them here, once. If the owning header gains one of them first, the compiler reports the
// redefinition and the block here is deleted: the two can never silently disagree.
//
// Types PortCls only passes by pointer (DEVICE_OBJECT, IRP, DRIVER_OBJECT, OBJECT_ATTRIBUTES,
// DEVICE_CAPABILITIES, CM_RESOURCE_LIST, ...) are not declared here at all: portcls.h names them by
// their WDK structure tags (struct _DEVICE_OBJECT*), which is the very type PDEVICE_OBJECT names
// once io.h defines it.
#pragma once

#include "wavert/nt/types.h"

// ---- Power states (wdm.h, power manager; IAdapterPowerManagement, IPowerNotify) ----------------

// SYSTEM_POWER_STATE: S0 (working) to S5 (shutdown), in the WDK's order.
typedef enum _SYSTEM_POWER_STATE {
  PowerSystemUnspecified = 0,
  PowerSystemWorking = 1,
  PowerSystemSleeping1 = 2,
  PowerSystemSleeping2 = 3,
  PowerSystemSleeping3 = 4,
  PowerSystemHibernate = 5,
  PowerSystemShutdown = 6,
  PowerSystemMaximum = 7
} SYSTEM_POWER_STATE, *PSYSTEM_POWER_STATE;

#define POWER_SYSTEM_MAXIMUM PowerSystemMaximum

// DEVICE_POWER_STATE: D0 (fully on) to D3 (off).
typedef enum _DEVICE_POWER_STATE {
  PowerDeviceUnspecified = 0,
  PowerDeviceD0 = 1,
  PowerDeviceD1 = 2,
  PowerDeviceD2 = 3,
  PowerDeviceD3 = 4,
  PowerDeviceMaximum = 5
} DEVICE_POWER_STATE, *PDEVICE_POWER_STATE;

// Passed by value to IAdapterPowerManagement::PowerChangeState: which member is meaningful
// depends on the call (PortCls passes device states to adapters).
typedef union _POWER_STATE {
  SYSTEM_POWER_STATE SystemState;
  DEVICE_POWER_STATE DeviceState;
} POWER_STATE, *PPOWER_STATE;

static_assert(sizeof(POWER_STATE) == 4, "POWER_STATE is a 4-byte union passed in one register");

// ---- Device registry properties (wdm.h, IoGetDeviceProperty; IPort::GetDeviceProperty) ---------

// The value encodes the property's data type in bits 12-14, as wdm.h does: a string property
// ORs 0x1000, a GUID 0x2000, a REG_MULTI_SZ 0x4000. Values cross from the miniport to the port, so
// they must be these, not 0, 1, 2, ...
#define WAVERT_DEVPROP_STRING_TYPE 0x1000
#define WAVERT_DEVPROP_GUID_TYPE 0x2000
#define WAVERT_DEVPROP_MULTISTRING_TYPE 0x4000

typedef enum _DEVICE_REGISTRY_PROPERTY {
  DevicePropertyDeviceDescription = 0x0 | WAVERT_DEVPROP_STRING_TYPE,
  DevicePropertyHardwareID = 0x1 | WAVERT_DEVPROP_MULTISTRING_TYPE,
  DevicePropertyCompatibleIDs = 0x2 | WAVERT_DEVPROP_MULTISTRING_TYPE,
  DevicePropertyBootConfiguration = 0x3,
  DevicePropertyBootConfigurationTranslated = 0x4,
  DevicePropertyClassName = 0x5 | WAVERT_DEVPROP_STRING_TYPE,
  DevicePropertyClassGuid = 0x6 | WAVERT_DEVPROP_STRING_TYPE,
  DevicePropertyDriverKeyName = 0x7 | WAVERT_DEVPROP_STRING_TYPE,
  DevicePropertyManufacturer = 0x8 | WAVERT_DEVPROP_STRING_TYPE,
  DevicePropertyFriendlyName = 0x9 | WAVERT_DEVPROP_STRING_TYPE,
  DevicePropertyLocationInformation = 0xA | WAVERT_DEVPROP_STRING_TYPE,
  DevicePropertyPhysicalDeviceObjectName = 0xB | WAVERT_DEVPROP_STRING_TYPE,
  DevicePropertyBusTypeGuid = 0xC | WAVERT_DEVPROP_GUID_TYPE,
  DevicePropertyLegacyBusType = 0xD,
  DevicePropertyBusNumber = 0xE,
  DevicePropertyEnumeratorName = 0xF | WAVERT_DEVPROP_STRING_TYPE,
  DevicePropertyAddress = 0x10,
  DevicePropertyUINumber = 0x11,
  DevicePropertyInstallState = 0x12,
  DevicePropertyRemovalPolicy = 0x13,
  DevicePropertyResourceRequirements = 0x14,
  DevicePropertyAllocatedResources = 0x15,
  DevicePropertyContainerID = 0x16 | WAVERT_DEVPROP_STRING_TYPE
} DEVICE_REGISTRY_PROPERTY;

// ---- DMA adapter description (wdm.h; IMiniportWaveRT::GetDeviceDescription) --------------------

typedef enum _INTERFACE_TYPE {
  InterfaceTypeUndefined = -1,
  Internal = 0,
  Isa = 1,
  Eisa = 2,
  MicroChannel = 3,
  TurboChannel = 4,
  PCIBus = 5,
  VMEBus = 6,
  NuBus = 7,
  PCMCIABus = 8,
  CBus = 9,
  MPIBus = 10,
  MPSABus = 11,
  ProcessorInternal = 12,
  InternalPowerBus = 13,
  PNPISABus = 14,
  PNPBus = 15,
  Vmcs = 16,
  ACPIBus = 17,
  MaximumInterfaceType
} INTERFACE_TYPE, *PINTERFACE_TYPE;

typedef enum _DMA_WIDTH {
  Width8Bits = 0,
  Width16Bits = 1,
  Width32Bits = 2,
  Width64Bits = 3,
  WidthNoWrap = 4,
  MaximumDmaWidth = 5
} DMA_WIDTH, *PDMA_WIDTH;

typedef enum _DMA_SPEED {
  Compatible = 0,
  TypeA = 1,
  TypeB = 2,
  TypeC = 3,
  TypeF = 4,
  MaximumDmaSpeed = 5
} DMA_SPEED, *PDMA_SPEED;

// Version selects which fields IoGetDmaAdapter reads: DmaAddressWidth and the fields after it
// exist from VERSION3 (Windows 8); Dma32BitAddresses/Dma64BitAddresses/DmaSpeed are ignored there.
#define DEVICE_DESCRIPTION_VERSION 0
#define DEVICE_DESCRIPTION_VERSION1 1
#define DEVICE_DESCRIPTION_VERSION2 2
#define DEVICE_DESCRIPTION_VERSION3 3

// "The driver should first zero-initialize the entire DEVICE_DESCRIPTION structure, then fill in
// selected members" (wdm.h DEVICE_DESCRIPTION remarks).
typedef struct _DEVICE_DESCRIPTION {
  ULONG Version;
  BOOLEAN Master;         // bus-master DMA device
  BOOLEAN ScatterGather;  // bus master with scatter/gather
  BOOLEAN DemandMode;
  BOOLEAN AutoInitialize;
  BOOLEAN Dma32BitAddresses;
  BOOLEAN IgnoreCount;
  BOOLEAN Reserved1;  // must be FALSE
  BOOLEAN Dma64BitAddresses;
  ULONG BusNumber;
  ULONG DmaChannel;
  INTERFACE_TYPE InterfaceType;
  DMA_WIDTH DmaWidth;
  DMA_SPEED DmaSpeed;
  ULONG MaximumLength;  // bytes per DMA operation
  ULONG DmaPort;
  ULONG DmaAddressWidth;  // VERSION3: DMA address width in bits, 1..64
  ULONG DmaControllerInstance;
  ULONG DmaRequestLine;
  PHYSICAL_ADDRESS DeviceAddress;
} DEVICE_DESCRIPTION, *PDEVICE_DESCRIPTION;

// Offsets follow from the documented field order and natural alignment; the one padding hole is
// the 4 bytes before DeviceAddress.
static_assert(offsetof(DEVICE_DESCRIPTION, Master) == 4 && offsetof(DEVICE_DESCRIPTION, Dma64BitAddresses) == 11 &&
                  offsetof(DEVICE_DESCRIPTION, BusNumber) == 12 && offsetof(DEVICE_DESCRIPTION, InterfaceType) == 20 &&
                  offsetof(DEVICE_DESCRIPTION, MaximumLength) == 32 &&
                  offsetof(DEVICE_DESCRIPTION, DmaAddressWidth) == 40 &&
                  offsetof(DEVICE_DESCRIPTION, DmaRequestLine) == 48 &&
                  offsetof(DEVICE_DESCRIPTION, DeviceAddress) == 56 && sizeof(DEVICE_DESCRIPTION) == 64,
              "DEVICE_DESCRIPTION has the x64 layout");

// ---- Configuration manager resource types (wdm.h; IResourceList) -------------------------------

// CM_PARTIAL_RESOURCE_DESCRIPTOR.Type values. The descriptor and list structures themselves are
// only passed by pointer through IResourceList; see portcls.h.
typedef int CM_RESOURCE_TYPE;

#define CmResourceTypeNull 0
#define CmResourceTypePort 1
#define CmResourceTypeInterrupt 2
#define CmResourceTypeMemory 3
#define CmResourceTypeDma 4
#define CmResourceTypeDeviceSpecific 5
#define CmResourceTypeBusNumber 6
#define CmResourceTypeMemoryLarge 7
#define CmResourceTypeNonArbitrated 128
#define CmResourceTypeConfigData 128
#define CmResourceTypeDevicePrivate 129
#define CmResourceTypePcCardConfig 130
#define CmResourceTypeMfCardConfig 131
#define CmResourceTypeConnection 132
