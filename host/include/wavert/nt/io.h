// I/O manager objects (wdm.h): DRIVER_OBJECT, DEVICE_OBJECT, object attributes, access rights,
// and the registry key routines. IRP dispatch and PnP come with the port driver (issue 3).
//
// Structures carry Windows' field names and types; DRIVER_OBJECT follows the x64 layout, and
// DEVICE_OBJECT keeps the fields drivers touch in Windows' order but leaves out the kernel-only
// tail (device queue, DPC, lock event): no driver reads it by offset.
#pragma once

#include "wavert/nt/callsite.h"
#include "wavert/nt/rtl.h"
#include "wavert/nt/status.h"
#include "wavert/nt/types.h"

// The IRP itself is defined by the IRP dispatcher (issue 3).
struct _IRP;
typedef struct _IRP IRP, *PIRP;

struct _DEVICE_OBJECT;
typedef struct _DEVICE_OBJECT DEVICE_OBJECT, *PDEVICE_OBJECT;
struct _DRIVER_OBJECT;
typedef struct _DRIVER_OBJECT DRIVER_OBJECT, *PDRIVER_OBJECT;

typedef ULONG DEVICE_TYPE;

// ---- Access rights (winnt.h) -------------------------------------------------------------------
#define DELETE 0x00010000u
#define READ_CONTROL 0x00020000u
#define WRITE_DAC 0x00040000u
#define WRITE_OWNER 0x00080000u
#define SYNCHRONIZE 0x00100000u
#define STANDARD_RIGHTS_REQUIRED 0x000F0000u
#define STANDARD_RIGHTS_READ READ_CONTROL
#define STANDARD_RIGHTS_WRITE READ_CONTROL
#define STANDARD_RIGHTS_EXECUTE READ_CONTROL
#define STANDARD_RIGHTS_ALL 0x001F0000u
#define GENERIC_READ 0x80000000u
#define GENERIC_WRITE 0x40000000u
#define GENERIC_EXECUTE 0x20000000u
#define GENERIC_ALL 0x10000000u
#define MAXIMUM_ALLOWED 0x02000000u

#define KEY_QUERY_VALUE 0x0001u
#define KEY_SET_VALUE 0x0002u
#define KEY_CREATE_SUB_KEY 0x0004u
#define KEY_ENUMERATE_SUB_KEYS 0x0008u
#define KEY_NOTIFY 0x0010u
#define KEY_CREATE_LINK 0x0020u
#define KEY_WOW64_64KEY 0x0100u
#define KEY_WOW64_32KEY 0x0200u
#define KEY_READ ((STANDARD_RIGHTS_READ | KEY_QUERY_VALUE | KEY_ENUMERATE_SUB_KEYS | KEY_NOTIFY) & ~SYNCHRONIZE)
#define KEY_WRITE ((STANDARD_RIGHTS_WRITE | KEY_SET_VALUE | KEY_CREATE_SUB_KEY) & ~SYNCHRONIZE)
#define KEY_EXECUTE (KEY_READ & ~SYNCHRONIZE)
#define KEY_ALL_ACCESS                                                                                     \
  ((STANDARD_RIGHTS_ALL | KEY_QUERY_VALUE | KEY_SET_VALUE | KEY_CREATE_SUB_KEY | KEY_ENUMERATE_SUB_KEYS | \
    KEY_NOTIFY | KEY_CREATE_LINK) &                                                                        \
   ~SYNCHRONIZE)

// ---- Object attributes -------------------------------------------------------------------------
#define OBJ_INHERIT 0x00000002u
#define OBJ_PERMANENT 0x00000010u
#define OBJ_EXCLUSIVE 0x00000020u
#define OBJ_CASE_INSENSITIVE 0x00000040u
#define OBJ_OPENIF 0x00000080u
#define OBJ_OPENLINK 0x00000100u
#define OBJ_KERNEL_HANDLE 0x00000200u
#define OBJ_FORCE_ACCESS_CHECK 0x00000400u
#define OBJ_VALID_ATTRIBUTES 0x00001FF2u

typedef struct _OBJECT_ATTRIBUTES {
  ULONG Length;
  HANDLE RootDirectory;
  PUNICODE_STRING ObjectName;
  ULONG Attributes;
  PVOID SecurityDescriptor;
  PVOID SecurityQualityOfService;
} OBJECT_ATTRIBUTES, *POBJECT_ATTRIBUTES;
typedef const OBJECT_ATTRIBUTES* PCOBJECT_ATTRIBUTES;

#define InitializeObjectAttributes(p, n, a, r, s) \
  do {                                            \
    (p)->Length = sizeof(OBJECT_ATTRIBUTES);      \
    (p)->RootDirectory = (r);                     \
    (p)->Attributes = (a);                        \
    (p)->ObjectName = (n);                        \
    (p)->SecurityDescriptor = (s);                \
    (p)->SecurityQualityOfService = nullptr;      \
  } while (0)

// ---- Driver and device objects -----------------------------------------------------------------
#define IO_TYPE_DEVICE 0x0003
#define IO_TYPE_DRIVER 0x0004

#define IRP_MJ_CREATE 0x00
#define IRP_MJ_CREATE_NAMED_PIPE 0x01
#define IRP_MJ_CLOSE 0x02
#define IRP_MJ_READ 0x03
#define IRP_MJ_WRITE 0x04
#define IRP_MJ_QUERY_INFORMATION 0x05
#define IRP_MJ_SET_INFORMATION 0x06
#define IRP_MJ_QUERY_EA 0x07
#define IRP_MJ_SET_EA 0x08
#define IRP_MJ_FLUSH_BUFFERS 0x09
#define IRP_MJ_QUERY_VOLUME_INFORMATION 0x0a
#define IRP_MJ_SET_VOLUME_INFORMATION 0x0b
#define IRP_MJ_DIRECTORY_CONTROL 0x0c
#define IRP_MJ_FILE_SYSTEM_CONTROL 0x0d
#define IRP_MJ_DEVICE_CONTROL 0x0e
#define IRP_MJ_INTERNAL_DEVICE_CONTROL 0x0f
#define IRP_MJ_SHUTDOWN 0x10
#define IRP_MJ_LOCK_CONTROL 0x11
#define IRP_MJ_CLEANUP 0x12
#define IRP_MJ_CREATE_MAILSLOT 0x13
#define IRP_MJ_QUERY_SECURITY 0x14
#define IRP_MJ_SET_SECURITY 0x15
#define IRP_MJ_POWER 0x16
#define IRP_MJ_SYSTEM_CONTROL 0x17
#define IRP_MJ_DEVICE_CHANGE 0x18
#define IRP_MJ_QUERY_QUOTA 0x19
#define IRP_MJ_SET_QUOTA 0x1a
#define IRP_MJ_PNP 0x1b
#define IRP_MJ_PNP_POWER IRP_MJ_PNP
#define IRP_MJ_MAXIMUM_FUNCTION 0x1b

// DEVICE_OBJECT.Flags
#define DO_VERIFY_VOLUME 0x00000002u
#define DO_BUFFERED_IO 0x00000004u
#define DO_EXCLUSIVE 0x00000008u
#define DO_DIRECT_IO 0x00000010u
#define DO_MAP_IO_BUFFER 0x00000020u
#define DO_DEVICE_INITIALIZING 0x00000080u
#define DO_SHUTDOWN_REGISTERED 0x00000800u
#define DO_BUS_ENUMERATED_DEVICE 0x00001000u
#define DO_POWER_PAGABLE 0x00002000u
#define DO_POWER_INRUSH 0x00004000u

// DEVICE_OBJECT.DeviceType (devioctl.h)
#define FILE_DEVICE_NULL 0x00000015u
#define FILE_DEVICE_SOUND 0x0000001du
#define FILE_DEVICE_UNKNOWN 0x00000022u
#define FILE_DEVICE_WAVE_IN 0x00000025u
#define FILE_DEVICE_WAVE_OUT 0x00000026u
#define FILE_DEVICE_BUS_EXTENDER 0x0000002au
#define FILE_DEVICE_KS 0x0000002fu

// DEVICE_OBJECT.Characteristics
#define FILE_REMOVABLE_MEDIA 0x00000001u
#define FILE_READ_ONLY_DEVICE 0x00000002u
#define FILE_REMOTE_DEVICE 0x00000010u
#define FILE_AUTOGENERATED_DEVICE_NAME 0x00000080u
#define FILE_DEVICE_SECURE_OPEN 0x00000100u
#define FILE_CHARACTERISTIC_PNP_DEVICE 0x00000800u

#define FILE_BYTE_ALIGNMENT 0x00000000u
#define FILE_WORD_ALIGNMENT 0x00000001u
#define FILE_LONG_ALIGNMENT 0x00000003u
#define FILE_QUAD_ALIGNMENT 0x00000007u
#define FILE_OCTA_ALIGNMENT 0x0000000fu

typedef NTSTATUS DRIVER_INITIALIZE(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);
typedef DRIVER_INITIALIZE* PDRIVER_INITIALIZE;
typedef NTSTATUS DRIVER_ADD_DEVICE(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT PhysicalDeviceObject);
typedef DRIVER_ADD_DEVICE* PDRIVER_ADD_DEVICE;
typedef VOID DRIVER_UNLOAD(PDRIVER_OBJECT DriverObject);
typedef DRIVER_UNLOAD* PDRIVER_UNLOAD;
typedef NTSTATUS DRIVER_DISPATCH(PDEVICE_OBJECT DeviceObject, PIRP Irp);
typedef DRIVER_DISPATCH* PDRIVER_DISPATCH;
typedef DRIVER_DISPATCH DRIVER_DISPATCH_PAGED;
typedef VOID DRIVER_STARTIO(PDEVICE_OBJECT DeviceObject, PIRP Irp);
typedef DRIVER_STARTIO* PDRIVER_STARTIO;

typedef struct _DRIVER_EXTENSION {
  PDRIVER_OBJECT DriverObject;
  PDRIVER_ADD_DEVICE AddDevice;
  ULONG Count;
  UNICODE_STRING ServiceKeyName;  // the service's name: Services\<ServiceKeyName>
} DRIVER_EXTENSION, *PDRIVER_EXTENSION;

struct _DRIVER_OBJECT {
  CSHORT Type;  // IO_TYPE_DRIVER
  CSHORT Size;
  PDEVICE_OBJECT DeviceObject;  // the driver's devices, newest first, linked by NextDevice
  ULONG Flags;
  PVOID DriverStart;
  ULONG DriverSize;
  PVOID DriverSection;
  PDRIVER_EXTENSION DriverExtension;
  UNICODE_STRING DriverName;          // \Driver\<service>
  PUNICODE_STRING HardwareDatabase;   // \Registry\Machine\Hardware\Description\System
  PVOID FastIoDispatch;
  PDRIVER_INITIALIZE DriverInit;
  PDRIVER_STARTIO DriverStartIo;
  PDRIVER_UNLOAD DriverUnload;
  PDRIVER_DISPATCH MajorFunction[IRP_MJ_MAXIMUM_FUNCTION + 1];
};
static_assert(sizeof(DRIVER_OBJECT) == 0x150, "DRIVER_OBJECT has Windows' x64 size");
static_assert(offsetof(DRIVER_OBJECT, DriverExtension) == 0x30, "DRIVER_OBJECT.DriverExtension offset");
static_assert(offsetof(DRIVER_OBJECT, MajorFunction) == 0x70, "DRIVER_OBJECT.MajorFunction offset");

struct _DEVICE_OBJECT {
  CSHORT Type;  // IO_TYPE_DEVICE
  USHORT Size;  // sizeof(DEVICE_OBJECT) + the extension size
  LONG ReferenceCount;
  PDRIVER_OBJECT DriverObject;
  PDEVICE_OBJECT NextDevice;      // the next device of the same driver
  PDEVICE_OBJECT AttachedDevice;  // the device attached on top of this one
  PIRP CurrentIrp;
  PVOID Timer;
  ULONG Flags;            // DO_*
  ULONG Characteristics;  // FILE_* characteristics
  PVOID Vpb;
  PVOID DeviceExtension;  // zeroed, DeviceExtensionSize bytes, 16-byte aligned, owned by the device
  DEVICE_TYPE DeviceType;
  CCHAR StackSize;  // I/O stack locations an IRP needs for this device and those below
  ULONG AlignmentRequirement;
  USHORT SectorSize;
  PVOID DeviceObjectExtension;
  PVOID Reserved;
};

extern "C" {

// The dispatch routine every MajorFunction slot starts with: returns
// STATUS_INVALID_DEVICE_REQUEST. (The I/O manager completes the IRP; the IRP dispatcher does.)
NTKERNELAPI NTSTATUS WavertInvalidDeviceRequest(PDEVICE_OBJECT DeviceObject, PIRP Irp);

// STATUS_OBJECT_NAME_COLLISION for a name already in use; STATUS_INVALID_PARAMETER for an
// unknown driver object, a null out pointer or an extension size beyond what Size can hold.
// The new device has DO_DEVICE_INITIALIZING set; AddDevice clears it when done.
NTKERNELAPI NTSTATUS IoCreateDevice(PDRIVER_OBJECT DriverObject, ULONG DeviceExtensionSize,
                                    PUNICODE_STRING DeviceName, DEVICE_TYPE DeviceType,
                                    ULONG DeviceCharacteristics, BOOLEAN Exclusive,
                                    PDEVICE_OBJECT* DeviceObject, WAVERT_CALLER);
// An unknown or already deleted device is a verifier report (Rule::InvalidObject).
NTKERNELAPI VOID IoDeleteDevice(PDEVICE_OBJECT DeviceObject, WAVERT_CALLER);
// Attaches SourceDevice on top of the stack that TargetDevice belongs to; returns the device it
// attached to (the previous top), or null when the target is not a live device.
NTKERNELAPI PDEVICE_OBJECT IoAttachDeviceToDeviceStack(PDEVICE_OBJECT SourceDevice, PDEVICE_OBJECT TargetDevice,
                                                       WAVERT_CALLER);
NTKERNELAPI VOID IoDetachDevice(PDEVICE_OBJECT TargetDevice, WAVERT_CALLER);

// Per-driver extensions keyed by an address the caller chooses (PortCls uses its own).
// STATUS_OBJECT_NAME_COLLISION when the key is taken; the memory is zeroed and lives as long as
// the driver object.
NTKERNELAPI NTSTATUS IoAllocateDriverObjectExtension(PDRIVER_OBJECT DriverObject, PVOID ClientIdentificationAddress,
                                                     ULONG DriverObjectExtensionSize,
                                                     PVOID* DriverObjectExtension);
NTKERNELAPI PVOID IoGetDriverObjectExtension(PDRIVER_OBJECT DriverObject, PVOID ClientIdentificationAddress);

} // extern "C"

// ---- Registry keys -----------------------------------------------------------------------------
typedef enum _KEY_VALUE_INFORMATION_CLASS {
  KeyValueBasicInformation,
  KeyValueFullInformation,
  KeyValuePartialInformation,
  KeyValueFullInformationAlign64,
  KeyValuePartialInformationAlign64,
  KeyValueLayerInformation,
  MaxKeyValueInfoClass
} KEY_VALUE_INFORMATION_CLASS;

typedef struct _KEY_VALUE_BASIC_INFORMATION {
  ULONG TitleIndex;
  ULONG Type;
  ULONG NameLength;  // bytes
  WCHAR Name[1];     // not terminated
} KEY_VALUE_BASIC_INFORMATION, *PKEY_VALUE_BASIC_INFORMATION;

typedef struct _KEY_VALUE_FULL_INFORMATION {
  ULONG TitleIndex;
  ULONG Type;
  ULONG DataOffset;  // from the start of the structure
  ULONG DataLength;
  ULONG NameLength;
  WCHAR Name[1];
} KEY_VALUE_FULL_INFORMATION, *PKEY_VALUE_FULL_INFORMATION;

typedef struct _KEY_VALUE_PARTIAL_INFORMATION {
  ULONG TitleIndex;
  ULONG Type;
  ULONG DataLength;
  UCHAR Data[1];
} KEY_VALUE_PARTIAL_INFORMATION, *PKEY_VALUE_PARTIAL_INFORMATION;

static_assert(offsetof(KEY_VALUE_BASIC_INFORMATION, Name) == 12, "KEY_VALUE_BASIC_INFORMATION layout");
static_assert(offsetof(KEY_VALUE_FULL_INFORMATION, Name) == 20, "KEY_VALUE_FULL_INFORMATION layout");
static_assert(offsetof(KEY_VALUE_PARTIAL_INFORMATION, Data) == 12, "KEY_VALUE_PARTIAL_INFORMATION layout");
static_assert(sizeof(OBJECT_ATTRIBUTES) == 48, "OBJECT_ATTRIBUTES has Windows' x64 size");

// ZwCreateKey CreateOptions and Disposition.
#define REG_OPTION_NON_VOLATILE 0x00000000u
#define REG_OPTION_VOLATILE 0x00000001u
#define REG_CREATED_NEW_KEY 0x00000001u
#define REG_OPENED_EXISTING_KEY 0x00000002u

// IoOpenDeviceRegistryKey DevInstKeyType.
#define PLUGPLAY_REGKEY_DEVICE 1u
#define PLUGPLAY_REGKEY_DRIVER 2u
#define PLUGPLAY_REGKEY_CURRENT_HWPROFILE 4u

typedef enum _DRIVER_REGKEY_TYPE {
  DriverRegKeyParameters,
  DriverRegKeyPersistentState,
  DriverRegKeySharedPersistentState
} DRIVER_REGKEY_TYPE, *PDRIVER_REGKEY_TYPE;

extern "C" {
// Registry routines run at PASSIVE_LEVEL (a verifier report otherwise). Handles are host objects
// closed with ZwClose; a handle left open when the session ends is a Rule::ObjectLeak report.
// Which keys the Io* routines open, and every NTSTATUS for bad input: docs/registry.md.
NTSYSAPI NTSTATUS ZwOpenKey(PHANDLE KeyHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                            WAVERT_CALLER);
NTSYSAPI NTSTATUS ZwCreateKey(PHANDLE KeyHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                              ULONG TitleIndex, PUNICODE_STRING Class, ULONG CreateOptions, PULONG Disposition,
                              WAVERT_CALLER);
NTSYSAPI NTSTATUS ZwQueryValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName,
                                  KEY_VALUE_INFORMATION_CLASS KeyValueInformationClass, PVOID KeyValueInformation,
                                  ULONG Length, PULONG ResultLength, WAVERT_CALLER);
NTSYSAPI NTSTATUS ZwEnumerateValueKey(HANDLE KeyHandle, ULONG Index,
                                      KEY_VALUE_INFORMATION_CLASS KeyValueInformationClass,
                                      PVOID KeyValueInformation, ULONG Length, PULONG ResultLength, WAVERT_CALLER);
NTSYSAPI NTSTATUS ZwSetValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName, ULONG TitleIndex, ULONG Type,
                                PVOID Data, ULONG DataSize, WAVERT_CALLER);
NTSYSAPI NTSTATUS ZwDeleteValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName, WAVERT_CALLER);
NTSYSAPI NTSTATUS ZwFlushKey(HANDLE KeyHandle, WAVERT_CALLER);
// STATUS_INVALID_HANDLE for a handle that is not open (never opened, or closed already).
NTSYSAPI NTSTATUS ZwClose(HANDLE Handle, WAVERT_CALLER);

NTKERNELAPI NTSTATUS IoOpenDriverRegistryKey(PDRIVER_OBJECT DriverObject, DRIVER_REGKEY_TYPE RegKeyType,
                                             ACCESS_MASK DesiredAccess, ULONG Flags, PHANDLE DriverRegKey,
                                             WAVERT_CALLER);
NTKERNELAPI NTSTATUS IoOpenDeviceRegistryKey(PDEVICE_OBJECT DeviceObject, ULONG DevInstKeyType,
                                             ACCESS_MASK DesiredAccess, PHANDLE DevInstRegKey, WAVERT_CALLER);
} // extern "C"
