// A miniport-shaped translation unit: tables and a stream class written as WDK sample drivers
// write them, compiled with the driver's flags (-fno-exceptions -fno-rtti -fshort-wchar). If
// portcls.h declared a field in the wrong place, a type a driver passes, or a method a driver
// implements differently, this file would stop compiling or the tests reading it would fail.
#include <portcls.h>
#include <stdunk.h>

#include "test_driver.h"

namespace portcls_test {

// ---- Filter description --------------------------------------------------------------------------

static KSDATARANGE_AUDIO PinDataRangesStream[] = {
    {
        {sizeof(KSDATARANGE_AUDIO), 0, 0, 0, STATICGUIDOF(KSDATAFORMAT_TYPE_AUDIO),
         STATICGUIDOF(KSDATAFORMAT_SUBTYPE_PCM), STATICGUIDOF(KSDATAFORMAT_SPECIFIER_WAVEFORMATEX)},
        2,      // MaximumChannels
        16,     // MinimumBitsPerSample
        16,     // MaximumBitsPerSample
        48000,  // MinimumSampleFrequency
        48000   // MaximumSampleFrequency
    },
};

static PKSDATARANGE PinDataRangePointersStream[] = {PKSDATARANGE(&PinDataRangesStream[0])};

static KSDATARANGE PinDataRangesBridge[] = {
    {sizeof(KSDATARANGE), 0, 0, 0, STATICGUIDOF(KSDATAFORMAT_TYPE_AUDIO),
     STATICGUIDOF(KSDATAFORMAT_SUBTYPE_NONE), STATICGUIDOF(KSDATAFORMAT_SPECIFIER_NONE)},
};

static PKSDATARANGE PinDataRangePointersBridge[] = {&PinDataRangesBridge[0]};

NTSTATUS VolumePropertyHandler(PPCPROPERTY_REQUEST Request) {
  return Request->Verb == KSPROPERTY_TYPE_GET ? STATUS_SUCCESS : STATUS_INVALID_DEVICE_REQUEST;
}

NTSTATUS PinCapsEventHandler(PPCEVENT_REQUEST Request) {
  return Request->Verb == PCEVENT_VERB_SUPPORT ? STATUS_SUCCESS : STATUS_NOT_SUPPORTED;
}

const PCPROPERTY_ITEM g_VolumeProperties[1] = {
    {&KSPROPSETID_Audio, KSPROPERTY_AUDIO_VOLUMELEVEL,
     PCPROPERTY_ITEM_FLAG_GET | PCPROPERTY_ITEM_FLAG_SET | PCPROPERTY_ITEM_FLAG_BASICSUPPORT, VolumePropertyHandler},
};

// An event set of this test's own: the layout is what matters here.
DEFINE_GUIDSTRUCT("5A0C6A52-3B0F-4E7B-9B57-0D2C4B1E6F01", TEST_EVENTSETID);

const PCEVENT_ITEM g_FilterEvents[1] = {
    {&TEST_EVENTSETID, 1, PCEVENT_ITEM_FLAG_ENABLE | PCEVENT_ITEM_FLAG_BASICSUPPORT,
     PinCapsEventHandler},
};

extern const PCAUTOMATION_TABLE g_VolumeAutomation;
DEFINE_PCAUTOMATION_TABLE_PROP(g_VolumeAutomation, g_VolumeProperties);

extern const PCAUTOMATION_TABLE g_FilterAutomation;
DEFINE_PCAUTOMATION_TABLE_PROP_EVENT(g_FilterAutomation, g_VolumeProperties, g_FilterEvents);

static PCPIN_DESCRIPTOR MiniportPins[] = {
    // Render streaming pin: data flows in from the client.
    {
        4, 4, 0,  // MaxGlobalInstanceCount, MaxFilterInstanceCount, MinFilterInstanceCount
        NULL,     // AutomationTable
        {
            0, NULL,  // Interfaces
            0, NULL,  // Mediums
            SIZEOF_ARRAY(PinDataRangePointersStream), PinDataRangePointersStream,
            KSPIN_DATAFLOW_IN, KSPIN_COMMUNICATION_SINK,
            &KSCATEGORY_AUDIO,
            NULL,  // Name
            0      // Reserved
        },
    },
    // Bridge pin to the topology filter.
    {
        0, 0, 0, NULL,
        {0, NULL, 0, NULL, SIZEOF_ARRAY(PinDataRangePointersBridge), PinDataRangePointersBridge, KSPIN_DATAFLOW_OUT,
         KSPIN_COMMUNICATION_NONE, &KSNODETYPE_SPEAKER, NULL, 0},
    },
};

static PCNODE_DESCRIPTOR MiniportNodes[] = {
    {0, &g_VolumeAutomation, &KSNODETYPE_VOLUME, NULL},
};

static PCCONNECTION_DESCRIPTOR MiniportConnections[] = {
    {PCFILTER_NODE, 0, 0, 1},  // pin 0 -> volume node input
    {0, 0, PCFILTER_NODE, 1},  // volume node output -> pin 1
};

static const GUID MiniportCategories[] = {
    {STATICGUIDOF(KSCATEGORY_AUDIO)},
    {STATICGUIDOF(KSCATEGORY_RENDER)},
    {STATICGUIDOF(KSCATEGORY_REALTIME)},
};

static PCFILTER_DESCRIPTOR MiniportFilterDescriptor = {
    0,                                  // Version
    &g_FilterAutomation,                // AutomationTable
    sizeof(PCPIN_DESCRIPTOR),           // PinSize
    SIZEOF_ARRAY(MiniportPins),         // PinCount
    MiniportPins,                       // Pins
    sizeof(PCNODE_DESCRIPTOR),          // NodeSize
    SIZEOF_ARRAY(MiniportNodes),        // NodeCount
    MiniportNodes,                      // Nodes
    SIZEOF_ARRAY(MiniportConnections),  // ConnectionCount
    MiniportConnections,                // Connections
    SIZEOF_ARRAY(MiniportCategories),   // CategoryCount
    MiniportCategories                  // Categories
};

const PCFILTER_DESCRIPTOR* WaveFilterDescriptor() { return &MiniportFilterDescriptor; }

// ---- Stream --------------------------------------------------------------------------------------

static LONG g_DestroyedStreams = 0;

class CTestStream : public IMiniportWaveRTStreamNotification, public IMiniportWaveRTOutputStream, public CUnknown {
 public:
  DECLARE_STD_UNKNOWN();
  DEFINE_STD_CONSTRUCTOR(CTestStream);
  ~CTestStream() { __atomic_add_fetch(&g_DestroyedStreams, 1, __ATOMIC_SEQ_CST); }

  // Stand-in for the class-scope deallocation stdunk.h's CUnknown needs (docs/abi-portcls.md,
  // "Pool new and delete"): `delete this` in NonDelegatingRelease returns the block to the pool.
  static void operator delete(void* p) noexcept { ExFreePool(p); }

  IMP_IMiniportWaveRTStream;
  IMP_IMiniportWaveRTStreamNotification;
  IMP_IMiniportWaveRTOutputStream;

  StreamCall m_LastCall;  // zero from pool new: no constructor initialises it
};

NTSTATUS CTestStream::NonDelegatingQueryInterface(REFIID InterfaceId, PVOID* Interface) {
  if (IsEqualGUIDAligned(InterfaceId, IID_IUnknown)) {
    *Interface = PVOID(PUNKNOWN(PMINIPORTWAVERTSTREAM(this)));
  } else if (IsEqualGUIDAligned(InterfaceId, IID_IMiniportWaveRTStream)) {
    *Interface = PVOID(PMINIPORTWAVERTSTREAM(this));
  } else if (IsEqualGUIDAligned(InterfaceId, IID_IMiniportWaveRTStreamNotification)) {
    *Interface = PVOID(PMINIPORTWAVERTSTREAMNOTIFICATION(this));
  } else if (IsEqualGUIDAligned(InterfaceId, IID_IMiniportWaveRTOutputStream)) {
    *Interface = PVOID(PMINIPORTWAVERTOUTPUTSTREAM(this));
  } else {
    *Interface = NULL;
    return STATUS_INVALID_PARAMETER;
  }
  PUNKNOWN(*Interface)->AddRef();
  return STATUS_SUCCESS;
}

NTSTATUS CTestStream::SetFormat(PKSDATAFORMAT) { m_LastCall = kSetFormat; return STATUS_SUCCESS; }
NTSTATUS CTestStream::SetState(KSSTATE) { m_LastCall = kSetState; return STATUS_SUCCESS; }
NTSTATUS CTestStream::GetPosition(PKSAUDIO_POSITION Position) {
  m_LastCall = kGetPosition;
  Position->PlayOffset = 0;
  Position->WriteOffset = 0;
  return STATUS_SUCCESS;
}
NTSTATUS CTestStream::AllocateAudioBuffer(ULONG, PMDL* AudioBufferMdl, ULONG* ActualSize, ULONG* OffsetFromFirstPage,
                                          MEMORY_CACHING_TYPE* CacheType) {
  m_LastCall = kAllocateAudioBuffer;
  *AudioBufferMdl = NULL;
  *ActualSize = 0;
  *OffsetFromFirstPage = 0;
  *CacheType = MmCached;
  return STATUS_INSUFFICIENT_RESOURCES;
}
VOID CTestStream::FreeAudioBuffer(PMDL, ULONG) { m_LastCall = kFreeAudioBuffer; }
VOID CTestStream::GetHWLatency(KSRTAUDIO_HWLATENCY* hwLatency) {
  m_LastCall = kGetHWLatency;
  hwLatency->FifoSize = 0;
  hwLatency->ChipsetDelay = 0;
  hwLatency->CodecDelay = 0;
}
NTSTATUS CTestStream::GetPositionRegister(KSRTAUDIO_HWREGISTER*) {
  m_LastCall = kGetPositionRegister;
  return STATUS_NOT_SUPPORTED;
}
NTSTATUS CTestStream::GetClockRegister(KSRTAUDIO_HWREGISTER*) {
  m_LastCall = kGetClockRegister;
  return STATUS_NOT_SUPPORTED;
}
NTSTATUS CTestStream::AllocateBufferWithNotification(ULONG, ULONG, PMDL* AudioBufferMdl, ULONG* ActualSize,
                                                     ULONG* OffsetFromFirstPage, MEMORY_CACHING_TYPE* CacheType) {
  m_LastCall = kAllocateBufferWithNotification;
  *AudioBufferMdl = NULL;
  *ActualSize = 0;
  *OffsetFromFirstPage = 0;
  *CacheType = MmCached;
  return STATUS_INSUFFICIENT_RESOURCES;
}
VOID CTestStream::FreeBufferWithNotification(PMDL, ULONG) { m_LastCall = kFreeBufferWithNotification; }
NTSTATUS CTestStream::RegisterNotificationEvent(PKEVENT) {
  m_LastCall = kRegisterNotificationEvent;
  return STATUS_SUCCESS;
}
NTSTATUS CTestStream::UnregisterNotificationEvent(PKEVENT) {
  m_LastCall = kUnregisterNotificationEvent;
  return STATUS_SUCCESS;
}
NTSTATUS CTestStream::SetWritePacket(ULONG, DWORD, ULONG) {
  m_LastCall = kSetWritePacket;
  return STATUS_SUCCESS;
}
NTSTATUS CTestStream::GetOutputStreamPresentationPosition(KSAUDIO_PRESENTATION_POSITION* pPresentationPosition) {
  m_LastCall = kGetOutputStreamPresentationPosition;
  pPresentationPosition->u64PositionInBlocks = 0;
  pPresentationPosition->u64QPCPosition = 0;
  return STATUS_SUCCESS;
}
NTSTATUS CTestStream::GetPacketCount(ULONG* pPacketCount) {
  m_LastCall = kGetPacketCount;
  *pPacketCount = 0;
  return STATUS_SUCCESS;
}

NTSTATUS CreateTestStream(PMINIPORTWAVERTSTREAM* OutStream, POOL_TYPE PoolType, ULONG Tag) {
  CTestStream* stream = new (PoolType, Tag) CTestStream(NULL);
  if (stream == NULL) {
    *OutStream = NULL;
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  *OutStream = PMINIPORTWAVERTSTREAM(stream);
  (*OutStream)->AddRef();
  return STATUS_SUCCESS;
}

StreamCall LastStreamCall(PMINIPORTWAVERTSTREAM Stream) { return static_cast<CTestStream*>(Stream)->m_LastCall; }

ULONG DestroyedStreamCount() { return static_cast<ULONG>(__atomic_load_n(&g_DestroyedStreams, __ATOMIC_SEQ_CST)); }

}  // namespace portcls_test
