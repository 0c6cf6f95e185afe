// ks.h for the wavert host: Kernel Streaming identifiers, request headers, pin and format
// descriptions, property-set ids and GUIDs, with the Windows x64 layout.
//
// These structures cross the user/kernel boundary (IOCTL_KS_PROPERTY input and output buffers),
// so their sizes and offsets are part of the ABI. Each is pinned by static_asserts below and by
// tests/kernel/ks_layout_test.cpp; docs/abi.md lists every fact and where it comes from. The
// declarations are written from the documented layouts (Microsoft's KS reference pages and the
// published SDK/metadata declarations); nothing is copied.
//
// Audio-specific pieces (KSCATEGORY_AUDIO, KSDATAFORMAT_TYPE_AUDIO, KSPROPSETID_Audio, ...) live in
// ksmedia.h, where the SDK puts them.
#pragma once

#include <wdm.h>

#include "wavert/ks/guid.h"

// ---- IOCTL codes (FILE_DEVICE_KS, METHOD_NEITHER) ------------------------------------------------

// CTL_CODE and its parts belong to the I/O headers; defined here only if those do not yet.
#ifndef CTL_CODE
#define CTL_CODE(DeviceType, Function, Method, Access) \
  (((DeviceType) << 16) | ((Access) << 14) | ((Function) << 2) | (Method))
#endif
#ifndef METHOD_NEITHER
#define METHOD_BUFFERED 0
#define METHOD_IN_DIRECT 1
#define METHOD_OUT_DIRECT 2
#define METHOD_NEITHER 3
#endif
#ifndef FILE_ANY_ACCESS
#define FILE_ANY_ACCESS 0
#define FILE_READ_ACCESS 0x0001
#define FILE_WRITE_ACCESS 0x0002
#endif
#ifndef FILE_DEVICE_KS
#define FILE_DEVICE_KS 0x0000002F
#endif

#define IOCTL_KS_PROPERTY CTL_CODE(FILE_DEVICE_KS, 0x000, METHOD_NEITHER, FILE_ANY_ACCESS)
#define IOCTL_KS_ENABLE_EVENT CTL_CODE(FILE_DEVICE_KS, 0x001, METHOD_NEITHER, FILE_ANY_ACCESS)
#define IOCTL_KS_DISABLE_EVENT CTL_CODE(FILE_DEVICE_KS, 0x002, METHOD_NEITHER, FILE_ANY_ACCESS)
#define IOCTL_KS_METHOD CTL_CODE(FILE_DEVICE_KS, 0x003, METHOD_NEITHER, FILE_ANY_ACCESS)
#define IOCTL_KS_WRITE_STREAM CTL_CODE(FILE_DEVICE_KS, 0x004, METHOD_NEITHER, FILE_WRITE_ACCESS)
#define IOCTL_KS_READ_STREAM CTL_CODE(FILE_DEVICE_KS, 0x005, METHOD_NEITHER, FILE_READ_ACCESS)
#define IOCTL_KS_RESET_STATE CTL_CODE(FILE_DEVICE_KS, 0x006, METHOD_NEITHER, FILE_ANY_ACCESS)

// ---- Well-known GUIDs used as wildcards --------------------------------------------------------

#define STATIC_GUID_NULL 0x00000000, 0x0000, 0x0000, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00
#ifndef GUID_NULL
WAVERT_KS_GUID(GUID_NULL);
#endif

// ---- Stream state, reset, priority -------------------------------------------------------------

typedef enum {
  KSRESET_BEGIN,
  KSRESET_END
} KSRESET;

// A pin moves STOP <-> ACQUIRE <-> PAUSE <-> RUN one step at a time (waveRT-contract.md §1).
typedef enum {
  KSSTATE_STOP = 0,
  KSSTATE_ACQUIRE = 1,
  KSSTATE_PAUSE = 2,
  KSSTATE_RUN = 3
} KSSTATE, *PKSSTATE;

#define KSPRIORITY_LOW 0x00000001
#define KSPRIORITY_NORMAL 0x40000000
#define KSPRIORITY_HIGH 0x80000000
#define KSPRIORITY_EXCLUSIVE 0xFFFFFFFF

typedef struct {
  ULONG PriorityClass;
  ULONG PrioritySubClass;
} KSPRIORITY, *PKSPRIORITY;

// ---- Request headers ---------------------------------------------------------------------------

// Every property, method and event request starts with this 24-byte identifier. The LONGLONG in
// the union gives it 8-byte alignment on every platform, so what follows it in a request (a pin or
// node id, a pointer) sits at the same offset for 32- and 64-bit callers.
typedef struct {
  union {
    struct {
      GUID Set;
      ULONG Id;
      ULONG Flags;
    };
    LONGLONG Alignment;
  };
} KSIDENTIFIER, *PKSIDENTIFIER;

typedef KSIDENTIFIER KSPROPERTY, *PKSPROPERTY, KSMETHOD, *PKSMETHOD, KSEVENT, *PKSEVENT;

#define KSMETHOD_TYPE_NONE 0x00000000
#define KSMETHOD_TYPE_READ 0x00000001
#define KSMETHOD_TYPE_WRITE 0x00000002
#define KSMETHOD_TYPE_MODIFY 0x00000003
#define KSMETHOD_TYPE_SOURCE 0x00000004
#define KSMETHOD_TYPE_SEND 0x00000001
#define KSMETHOD_TYPE_SETSUPPORT 0x00000100
#define KSMETHOD_TYPE_BASICSUPPORT 0x00000200
#define KSMETHOD_TYPE_TOPOLOGY 0x10000000

#define KSPROPERTY_TYPE_GET 0x00000001
#define KSPROPERTY_TYPE_SET 0x00000002
#define KSPROPERTY_TYPE_SETSUPPORT 0x00000100
#define KSPROPERTY_TYPE_BASICSUPPORT 0x00000200
#define KSPROPERTY_TYPE_RELATIONS 0x00000400
#define KSPROPERTY_TYPE_SERIALIZESET 0x00000800
#define KSPROPERTY_TYPE_UNSERIALIZESET 0x00001000
#define KSPROPERTY_TYPE_SERIALIZERAW 0x00002000
#define KSPROPERTY_TYPE_UNSERIALIZERAW 0x00004000
#define KSPROPERTY_TYPE_SERIALIZESIZE 0x00008000
#define KSPROPERTY_TYPE_DEFAULTVALUES 0x00010000
// Set on a request addressed to a node: the header is then a KSP_NODE.
#define KSPROPERTY_TYPE_TOPOLOGY 0x10000000

typedef struct {
  KSPROPERTY Property;
  ULONG NodeId;
  ULONG Reserved;
} KSP_NODE, *PKSP_NODE;

typedef struct {
  KSMETHOD Method;
  ULONG NodeId;
  ULONG Reserved;
} KSM_NODE, *PKSM_NODE;

typedef struct {
  KSEVENT Event;
  ULONG NodeId;
  ULONG Reserved;
} KSE_NODE, *PKSE_NODE;

// Header of variable-length replies (data ranges, categories, connections): Size counts the
// header itself plus all Count items.
typedef struct {
  ULONG Size;
  ULONG Count;
} KSMULTIPLE_ITEM, *PKSMULTIPLE_ITEM;

// ---- Property descriptions (KSPROPERTY_TYPE_BASICSUPPORT replies) ---------------------------------

#define STATIC_KSPROPTYPESETID_General 0x97E99BA0, 0xBDEA, 0x11CF, 0xA5, 0xD6, 0x28, 0xDB, 0x04, 0xC1, 0x00, 0x00
WAVERT_KS_GUID(KSPROPTYPESETID_General);

typedef struct {
  ULONG AccessFlags;      // KSPROPERTY_TYPE_GET / _SET / ... that the item supports
  ULONG DescriptionSize;  // the whole reply: this header, members headers and their values
  KSIDENTIFIER PropTypeSet;
  ULONG MembersListCount;
  ULONG Reserved;
} KSPROPERTY_DESCRIPTION, *PKSPROPERTY_DESCRIPTION;

#define KSPROPERTY_MEMBER_RANGES 0x00000001
#define KSPROPERTY_MEMBER_STEPPEDRANGES 0x00000002
#define KSPROPERTY_MEMBER_VALUES 0x00000003

#define KSPROPERTY_MEMBER_FLAG_DEFAULT 0x00000001
#define KSPROPERTY_MEMBER_FLAG_BASICSUPPORT_MULTICHANNEL 0x00000002
#define KSPROPERTY_MEMBER_FLAG_BASICSUPPORT_UNIFORM 0x00000004

typedef struct {
  ULONG MembersFlags;  // KSPROPERTY_MEMBER_RANGES / _STEPPEDRANGES / _VALUES
  ULONG MembersSize;   // bytes of each member that follows
  ULONG MembersCount;
  ULONG Flags;         // KSPROPERTY_MEMBER_FLAG_*
} KSPROPERTY_MEMBERSHEADER, *PKSPROPERTY_MEMBERSHEADER;

typedef union {
  struct {
    LONG SignedMinimum;
    LONG SignedMaximum;
  };
  struct {
    ULONG UnsignedMinimum;
    ULONG UnsignedMaximum;
  };
} KSPROPERTY_BOUNDS_LONG, *PKSPROPERTY_BOUNDS_LONG;

typedef union {
  struct {
    LONGLONG SignedMinimum;
    LONGLONG SignedMaximum;
  };
  struct {
    ULONGLONG UnsignedMinimum;
    ULONGLONG UnsignedMaximum;
  };
} KSPROPERTY_BOUNDS_LONGLONG, *PKSPROPERTY_BOUNDS_LONGLONG;

// A volume node answers BASICSUPPORT with one of these per channel: range in 1/65536 dB.
typedef struct {
  ULONG SteppingDelta;
  ULONG Reserved;
  KSPROPERTY_BOUNDS_LONG Bounds;
} KSPROPERTY_STEPPING_LONG, *PKSPROPERTY_STEPPING_LONG;

typedef struct {
  ULONGLONG SteppingDelta;
  KSPROPERTY_BOUNDS_LONGLONG Bounds;
} KSPROPERTY_STEPPING_LONGLONG, *PKSPROPERTY_STEPPING_LONGLONG;

// ---- Events --------------------------------------------------------------------------------------

typedef struct {
  ULONG NotificationType;  // KSEVENTF_*
  union {
    struct {
      HANDLE Event;
      ULONG_PTR Reserved[2];
    } EventHandle;
    struct {
      HANDLE Semaphore;
      ULONG Reserved;
      LONG Adjustment;
    } SemaphoreHandle;
    struct {
      PVOID Unused;
      LONG_PTR Alignment[2];
    } Alignment;
  };
} KSEVENTDATA, *PKSEVENTDATA;

#define KSEVENTF_EVENT_HANDLE 0x00000001
#define KSEVENTF_SEMAPHORE_HANDLE 0x00000002

#define KSEVENT_TYPE_ENABLE 0x00000001
#define KSEVENT_TYPE_ONESHOT 0x00000002
#define KSEVENT_TYPE_ENABLEBUFFERED 0x00000004
#define KSEVENT_TYPE_SETSUPPORT 0x00000100
#define KSEVENT_TYPE_BASICSUPPORT 0x00000200
#define KSEVENT_TYPE_QUERYBUFFER 0x00000400
#define KSEVENT_TYPE_TOPOLOGY 0x10000000

// ---- General property set ------------------------------------------------------------------------

#define STATIC_KSPROPSETID_General 0x1464EDA5, 0x6A8F, 0x11D1, 0x9A, 0xA7, 0x00, 0xA0, 0xC9, 0x22, 0x31, 0x96
WAVERT_KS_GUID(KSPROPSETID_General);

typedef enum {
  KSPROPERTY_GENERAL_COMPONENTID = 0
} KSPROPERTY_GENERAL;

typedef struct {
  GUID Manufacturer;
  GUID Product;
  GUID Component;
  GUID Name;
  ULONG Version;
  ULONG Revision;
} KSCOMPONENTID, *PKSCOMPONENTID;

// ---- Topology ------------------------------------------------------------------------------------

#define STATIC_KSPROPSETID_Topology 0x720D4AC0, 0x7533, 0x11D0, 0xA5, 0xD6, 0x28, 0xDB, 0x04, 0xC1, 0x00, 0x00
WAVERT_KS_GUID(KSPROPSETID_Topology);

typedef enum {
  KSPROPERTY_TOPOLOGY_CATEGORIES = 0,
  KSPROPERTY_TOPOLOGY_NODES = 1,
  KSPROPERTY_TOPOLOGY_CONNECTIONS = 2,
  KSPROPERTY_TOPOLOGY_NAME = 3
} KSPROPERTY_TOPOLOGY;

// A connection whose FromNode or ToNode is KSFILTER_NODE ends at a filter pin (the *NodePin field
// is then the pin id); otherwise it ends at pin FromNodePin/ToNodePin of that node.
typedef struct {
  ULONG FromNode;
  ULONG FromNodePin;
  ULONG ToNode;
  ULONG ToNodePin;
} KSTOPOLOGY_CONNECTION, *PKSTOPOLOGY_CONNECTION;

#define KSFILTER_NODE ((ULONG)-1)
#define KSALL_NODES ((ULONG)-1)

typedef struct {
  ULONG CreateFlags;
  ULONG Node;
} KSNODE_CREATE, *PKSNODE_CREATE;

// ---- Filter categories (the audio ones are in ksmedia.h) -----------------------------------------

#define STATIC_KSCATEGORY_BRIDGE 0x085AFF00, 0x62CE, 0x11CF, 0xA5, 0xD6, 0x28, 0xDB, 0x04, 0xC1, 0x00, 0x00
WAVERT_KS_GUID(KSCATEGORY_BRIDGE);
#define STATIC_KSCATEGORY_CAPTURE 0x65E8773D, 0x8F56, 0x11D0, 0xA3, 0xB9, 0x00, 0xA0, 0xC9, 0x22, 0x31, 0x96
WAVERT_KS_GUID(KSCATEGORY_CAPTURE);
#define STATIC_KSCATEGORY_RENDER 0x65E8773E, 0x8F56, 0x11D0, 0xA3, 0xB9, 0x00, 0xA0, 0xC9, 0x22, 0x31, 0x96
WAVERT_KS_GUID(KSCATEGORY_RENDER);
#define STATIC_KSCATEGORY_MIXER 0xAD809C00, 0x7B88, 0x11D0, 0xA5, 0xD6, 0x28, 0xDB, 0x04, 0xC1, 0x00, 0x00
WAVERT_KS_GUID(KSCATEGORY_MIXER);
#define STATIC_KSCATEGORY_SPLITTER 0x0A4252A0, 0x7E70, 0x11D0, 0xA5, 0xD6, 0x28, 0xDB, 0x04, 0xC1, 0x00, 0x00
WAVERT_KS_GUID(KSCATEGORY_SPLITTER);
#define STATIC_KSCATEGORY_DATATRANSFORM 0x2EB07EA0, 0x7E70, 0x11D0, 0xA5, 0xD6, 0x28, 0xDB, 0x04, 0xC1, 0x00, 0x00
WAVERT_KS_GUID(KSCATEGORY_DATATRANSFORM);

// ---- Pins ----------------------------------------------------------------------------------------

typedef KSIDENTIFIER KSPIN_INTERFACE, *PKSPIN_INTERFACE;

#define STATIC_KSINTERFACESETID_Standard 0x1A8766A0, 0x62CE, 0x11CF, 0xA5, 0xD6, 0x28, 0xDB, 0x04, 0xC1, 0x00, 0x00
WAVERT_KS_GUID(KSINTERFACESETID_Standard);

// WaveRT pins are looped-streaming pins: positions wrap at the end of the cyclic buffer.
typedef enum {
  KSINTERFACE_STANDARD_STREAMING = 0,
  KSINTERFACE_STANDARD_LOOPED_STREAMING = 1,
  KSINTERFACE_STANDARD_CONTROL = 2
} KSINTERFACE_STANDARD;

typedef KSIDENTIFIER KSPIN_MEDIUM, *PKSPIN_MEDIUM;

#define KSMEDIUM_TYPE_ANYINSTANCE 0
#define STATIC_KSMEDIUMSETID_Standard 0x4747B320, 0x62CE, 0x11CF, 0xA5, 0xD6, 0x28, 0xDB, 0x04, 0xC1, 0x00, 0x00
WAVERT_KS_GUID(KSMEDIUMSETID_Standard);
#define KSMEDIUM_STANDARD_DEVIO KSMEDIUM_TYPE_ANYINSTANCE

#define STATIC_KSPROPSETID_Pin 0x8C134960, 0x51AD, 0x11CF, 0x87, 0x8A, 0x94, 0xF8, 0x01, 0xC1, 0x00, 0x00
WAVERT_KS_GUID(KSPROPSETID_Pin);

typedef enum {
  KSPROPERTY_PIN_CINSTANCES = 0,
  KSPROPERTY_PIN_CTYPES = 1,
  KSPROPERTY_PIN_DATAFLOW = 2,
  KSPROPERTY_PIN_DATARANGES = 3,
  KSPROPERTY_PIN_DATAINTERSECTION = 4,
  KSPROPERTY_PIN_INTERFACES = 5,
  KSPROPERTY_PIN_MEDIUMS = 6,
  KSPROPERTY_PIN_COMMUNICATION = 7,
  KSPROPERTY_PIN_GLOBALCINSTANCES = 8,
  KSPROPERTY_PIN_NECESSARYINSTANCES = 9,
  KSPROPERTY_PIN_PHYSICALCONNECTION = 10,
  KSPROPERTY_PIN_CATEGORY = 11,
  KSPROPERTY_PIN_NAME = 12,
  KSPROPERTY_PIN_CONSTRAINEDDATARANGES = 13,
  KSPROPERTY_PIN_PROPOSEDATAFORMAT = 14,
  KSPROPERTY_PIN_PROPOSEDATAFORMAT2 = 15,
  KSPROPERTY_PIN_MODEDATAFORMATS = 16
} KSPROPERTY_PIN;

#define KSPROPERTY_PIN_FLAGS_ATTRIBUTE_RANGE_AWARE 0x00000001
#define KSPROPERTY_PIN_FLAGS_MASK KSPROPERTY_PIN_FLAGS_ATTRIBUTE_RANGE_AWARE

typedef struct {
  KSPROPERTY Property;
  ULONG PinId;
  union {
    ULONG Reserved;
    ULONG Flags;  // KSPROPERTY_PIN_FLAGS_* on data-range requests
  };
} KSP_PIN, *PKSP_PIN;

#define KSINSTANCE_INDETERMINATE ((ULONG)-1)

typedef struct {
  ULONG PossibleCount;
  ULONG CurrentCount;
} KSPIN_CINSTANCES, *PKSPIN_CINSTANCES;

// IN: data flows into the filter through the pin (a render sink pin); OUT: out of it.
typedef enum {
  KSPIN_DATAFLOW_IN = 1,
  KSPIN_DATAFLOW_OUT = 2
} KSPIN_DATAFLOW, *PKSPIN_DATAFLOW;

typedef enum {
  KSPIN_COMMUNICATION_NONE = 0,
  KSPIN_COMMUNICATION_SINK = 1,
  KSPIN_COMMUNICATION_SOURCE = 2,
  KSPIN_COMMUNICATION_BOTH = 3,
  KSPIN_COMMUNICATION_BRIDGE = 4
} KSPIN_COMMUNICATION, *PKSPIN_COMMUNICATION;

// ---- Data formats and ranges ---------------------------------------------------------------------

#define KSDATAFORMAT_BIT_TEMPORAL_COMPRESSION 0
#define KSDATAFORMAT_TEMPORAL_COMPRESSION (1 << KSDATAFORMAT_BIT_TEMPORAL_COMPRESSION)
// Set in KSDATAFORMAT.Flags when a KSMULTIPLE_ITEM of KSATTRIBUTEs follows the format, aligned to 8.
#define KSDATAFORMAT_BIT_ATTRIBUTES 1
#define KSDATAFORMAT_ATTRIBUTES (1 << KSDATAFORMAT_BIT_ATTRIBUTES)

// Set in KSDATARANGE.Flags when an attribute list follows the range.
#define KSDATARANGE_BIT_ATTRIBUTES 1
#define KSDATARANGE_ATTRIBUTES (1 << KSDATARANGE_BIT_ATTRIBUTES)
#define KSDATARANGE_BIT_REQUIRED_ATTRIBUTES 2
#define KSDATARANGE_REQUIRED_ATTRIBUTES (1 << KSDATARANGE_BIT_REQUIRED_ATTRIBUTES)

// The common 64-byte header of every format and range. FormatSize counts the whole format
// including the specifier-specific part that follows (e.g. the WAVEFORMATEX), but not an
// attribute list.
typedef union {
  struct {
    ULONG FormatSize;
    ULONG Flags;
    ULONG SampleSize;
    ULONG Reserved;
    GUID MajorFormat;
    GUID SubFormat;
    GUID Specifier;
  };
  LONGLONG Alignment;
} KSDATAFORMAT, *PKSDATAFORMAT, KSDATARANGE, *PKSDATARANGE;

#define KSATTRIBUTE_REQUIRED 0x00000001

typedef struct {
  ULONG Size;
  ULONG Flags;
  GUID Attribute;
} KSATTRIBUTE, *PKSATTRIBUTE;

#define STATIC_KSDATAFORMAT_TYPE_WILDCARD STATIC_GUID_NULL
#define KSDATAFORMAT_TYPE_WILDCARD GUID_NULL
#define STATIC_KSDATAFORMAT_SUBTYPE_WILDCARD STATIC_GUID_NULL
#define KSDATAFORMAT_SUBTYPE_WILDCARD GUID_NULL
#define STATIC_KSDATAFORMAT_SPECIFIER_WILDCARD STATIC_GUID_NULL
#define KSDATAFORMAT_SPECIFIER_WILDCARD GUID_NULL

#define STATIC_KSDATAFORMAT_TYPE_STREAM 0xE436EB83, 0x524F, 0x11CE, 0x9F, 0x53, 0x00, 0x20, 0xAF, 0x0B, 0xA7, 0x70
WAVERT_KS_GUID(KSDATAFORMAT_TYPE_STREAM);
#define STATIC_KSDATAFORMAT_SUBTYPE_NONE 0xE436EB8E, 0x524F, 0x11CE, 0x9F, 0x53, 0x00, 0x20, 0xAF, 0x0B, 0xA7, 0x70
WAVERT_KS_GUID(KSDATAFORMAT_SUBTYPE_NONE);
#define STATIC_KSDATAFORMAT_SPECIFIER_NONE 0x0F6417D6, 0xC318, 0x11D0, 0xA4, 0x3F, 0x00, 0xA0, 0xC9, 0x22, 0x31, 0x96
WAVERT_KS_GUID(KSDATAFORMAT_SPECIFIER_NONE);

// ---- Pin creation --------------------------------------------------------------------------------

// The create request for a pin: this header, then the KSDATAFORMAT (with its specifier part and,
// if KSDATAFORMAT_ATTRIBUTES is set, its attribute list), all in one buffer.
typedef struct {
  KSPIN_INTERFACE Interface;
  KSPIN_MEDIUM Medium;
  ULONG PinId;
  HANDLE PinToHandle;  // NULL when the pin connects to no other KS pin (a client sink)
  KSPRIORITY Priority;
} KSPIN_CONNECT, *PKSPIN_CONNECT;

typedef struct {
  ULONG Size;  // whole structure including the symbolic link name and its terminator
  ULONG Pin;
  WCHAR SymbolicLinkName[1];
} KSPIN_PHYSICALCONNECTION, *PKSPIN_PHYSICALCONNECTION;

// ---- Connection property set ---------------------------------------------------------------------

#define STATIC_KSPROPSETID_Connection 0x1D58C920, 0xAC9B, 0x11CF, 0xA5, 0xD6, 0x28, 0xDB, 0x04, 0xC1, 0x00, 0x00
WAVERT_KS_GUID(KSPROPSETID_Connection);

typedef enum {
  KSPROPERTY_CONNECTION_STATE = 0,
  KSPROPERTY_CONNECTION_PRIORITY = 1,
  KSPROPERTY_CONNECTION_DATAFORMAT = 2,
  KSPROPERTY_CONNECTION_ALLOCATORFRAMING = 3,
  KSPROPERTY_CONNECTION_PROPOSEDATAFORMAT = 4,
  KSPROPERTY_CONNECTION_ACQUIREORDERING = 5,
  KSPROPERTY_CONNECTION_ALLOCATORFRAMING_EX = 6,
  KSPROPERTY_CONNECTION_STARTAT = 7
} KSPROPERTY_CONNECTION;

// ---- Streaming -----------------------------------------------------------------------------------

#define KSSTREAM_HEADER_OPTIONSF_SPLICEPOINT 0x00000001
#define KSSTREAM_HEADER_OPTIONSF_PREROLL 0x00000002
#define KSSTREAM_HEADER_OPTIONSF_DATADISCONTINUITY 0x00000004
#define KSSTREAM_HEADER_OPTIONSF_TYPECHANGED 0x00000008
#define KSSTREAM_HEADER_OPTIONSF_TIMEVALID 0x00000010
#define KSSTREAM_HEADER_OPTIONSF_TIMEDISCONTINUITY 0x00000040
#define KSSTREAM_HEADER_OPTIONSF_FLUSHONPAUSE 0x00000080
#define KSSTREAM_HEADER_OPTIONSF_DURATIONVALID 0x00000100
// In WaveRT packet mode, SetWritePacket's Flags carry this bit on the last packet (EOS).
#define KSSTREAM_HEADER_OPTIONSF_ENDOFSTREAM 0x00000200
#define KSSTREAM_HEADER_OPTIONSF_LOOPEDDATA 0x80000000

typedef struct {
  LONGLONG Time;
  ULONG Numerator;
  ULONG Denominator;
} KSTIME, *PKSTIME;

typedef struct {
  ULONG Size;
  ULONG TypeSpecificFlags;
  KSTIME PresentationTime;
  LONGLONG Duration;
  ULONG FrameExtent;
  ULONG DataUsed;
  PVOID Data;
  ULONG OptionsFlags;
  ULONG Reserved;  // present in 64-bit builds only: keeps the size a multiple of 8
} KSSTREAM_HEADER, *PKSSTREAM_HEADER;

#define STATIC_KSPROPSETID_Stream 0x65AABA60, 0x98AE, 0x11CF, 0xA1, 0x0D, 0x00, 0x20, 0xAF, 0xD1, 0x56, 0xE4
WAVERT_KS_GUID(KSPROPSETID_Stream);

typedef enum {
  KSPROPERTY_STREAM_ALLOCATOR = 0,
  KSPROPERTY_STREAM_QUALITY = 1,
  KSPROPERTY_STREAM_DEGRADATION = 2,
  KSPROPERTY_STREAM_MASTERCLOCK = 3,
  KSPROPERTY_STREAM_TIMEFORMAT = 4,
  KSPROPERTY_STREAM_PRESENTATIONTIME = 5,
  KSPROPERTY_STREAM_PRESENTATIONEXTENT = 6,
  KSPROPERTY_STREAM_FRAMETIME = 7,
  KSPROPERTY_STREAM_RATECAPABILITY = 8,
  KSPROPERTY_STREAM_RATE = 9,
  KSPROPERTY_STREAM_PIPE_ID = 10
} KSPROPERTY_STREAM;

// ---- Windows x64 layout ----------------------------------------------------------------------------

static_assert(sizeof(KSIDENTIFIER) == 24 && alignof(KSIDENTIFIER) == 8, "ks.h: KSIDENTIFIER is 24 bytes, 8-aligned");
static_assert(offsetof(KSIDENTIFIER, Set) == 0 && offsetof(KSIDENTIFIER, Id) == 16 && offsetof(KSIDENTIFIER, Flags) == 20);
static_assert(sizeof(KSPRIORITY) == 8);
static_assert(sizeof(KSP_NODE) == 32 && offsetof(KSP_NODE, NodeId) == 24 && offsetof(KSP_NODE, Reserved) == 28);
static_assert(sizeof(KSM_NODE) == 32 && offsetof(KSM_NODE, NodeId) == 24);
static_assert(sizeof(KSE_NODE) == 32 && offsetof(KSE_NODE, NodeId) == 24);
static_assert(sizeof(KSMULTIPLE_ITEM) == 8);
static_assert(sizeof(KSPROPERTY_DESCRIPTION) == 40 && offsetof(KSPROPERTY_DESCRIPTION, PropTypeSet) == 8 &&
              offsetof(KSPROPERTY_DESCRIPTION, MembersListCount) == 32);
static_assert(sizeof(KSPROPERTY_MEMBERSHEADER) == 16);
static_assert(sizeof(KSPROPERTY_BOUNDS_LONG) == 8 && sizeof(KSPROPERTY_BOUNDS_LONGLONG) == 16);
static_assert(sizeof(KSPROPERTY_STEPPING_LONG) == 16 && offsetof(KSPROPERTY_STEPPING_LONG, Bounds) == 8);
static_assert(sizeof(KSPROPERTY_STEPPING_LONGLONG) == 24 && offsetof(KSPROPERTY_STEPPING_LONGLONG, Bounds) == 8);
static_assert(sizeof(KSEVENTDATA) == 32 && offsetof(KSEVENTDATA, EventHandle) == 8);
static_assert(sizeof(KSCOMPONENTID) == 72 && offsetof(KSCOMPONENTID, Version) == 64);
static_assert(sizeof(KSTOPOLOGY_CONNECTION) == 16);
static_assert(sizeof(KSNODE_CREATE) == 8);
static_assert(sizeof(KSP_PIN) == 32 && offsetof(KSP_PIN, PinId) == 24 && offsetof(KSP_PIN, Reserved) == 28 &&
              offsetof(KSP_PIN, Flags) == 28);
static_assert(sizeof(KSPIN_CINSTANCES) == 8);
static_assert(sizeof(KSPIN_DATAFLOW) == 4 && sizeof(KSPIN_COMMUNICATION) == 4 && sizeof(KSSTATE) == 4);
static_assert(sizeof(KSDATAFORMAT) == 64 && alignof(KSDATAFORMAT) == 8, "ks.h: KSDATAFORMAT is 64 bytes, 8-aligned");
static_assert(offsetof(KSDATAFORMAT, Flags) == 4 && offsetof(KSDATAFORMAT, SampleSize) == 8 &&
              offsetof(KSDATAFORMAT, MajorFormat) == 16 && offsetof(KSDATAFORMAT, SubFormat) == 32 &&
              offsetof(KSDATAFORMAT, Specifier) == 48);
static_assert(sizeof(KSATTRIBUTE) == 24 && offsetof(KSATTRIBUTE, Attribute) == 8);
static_assert(sizeof(KSPIN_CONNECT) == 72, "ks.h: KSPIN_CONNECT is 72 bytes; the KSDATAFORMAT follows at 72");
static_assert(offsetof(KSPIN_CONNECT, Medium) == 24 && offsetof(KSPIN_CONNECT, PinId) == 48 &&
              offsetof(KSPIN_CONNECT, PinToHandle) == 56 && offsetof(KSPIN_CONNECT, Priority) == 64);
static_assert(sizeof(KSPIN_PHYSICALCONNECTION) == 12 && offsetof(KSPIN_PHYSICALCONNECTION, SymbolicLinkName) == 8);
static_assert(sizeof(KSTIME) == 16);
static_assert(sizeof(KSSTREAM_HEADER) == 56 && offsetof(KSSTREAM_HEADER, PresentationTime) == 8 &&
              offsetof(KSSTREAM_HEADER, Duration) == 24 && offsetof(KSSTREAM_HEADER, Data) == 40 &&
              offsetof(KSSTREAM_HEADER, OptionsFlags) == 48);
