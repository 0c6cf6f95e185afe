// probe.cpp — TOOLCHAIN TEST FIXTURE, NOT PRODUCT CODE.
//
// A small kernel-mode translation unit that exercises every part of the mingw-w64 Windows build
// the real driver will lean on, so that the pipeline (compat prelude, import libraries, link
// flags, import check) is proven before the driver exists. It is linked into
// wavert-probe.sys and never installed anywhere. When issue 4's driver sources land in driver/,
// windows/CMakeLists.txt builds them as wavert.sys and this probe stays only as a regression test
// of the toolchain.
//
// What it touches, and why each matters:
//   DriverEntry → PcInitializeAdapterDriver → AddDevice → PcAddAdapterDevice → StartDevice →
//     PcNewPort(CLSID_PortWaveRT) + PcRegisterSubdevice: portcls.sys imports via our .def;
//   a CUnknown-derived miniport implementing IMiniportWaveRT, and a stream implementing
//     IMiniportWaveRTStreamNotification and IMiniportWaveRTOutputStream: vtables from mingw's
//     portcls.h and the prelude, CUnknown from wavert_windows_runtime.cpp;
//   ExAllocatePool2 with a tag, pool operator new/delete: ntoskrnl.exe (ntoskrnl-extra.def);
//   KSPIN_LOCK acquire/release, KeQueryPerformanceCounter, KeStallExecutionProcessor (hal.dll);
//   an MDL walk through MmGetMdlPfnArray (DESIGN.md: page frames come from the MDL);
//   an EX_TIMER (ExAllocateTimer/ExSetTimer/ExDeleteTimer): the high-resolution timer the DMA
//     engine will run from;
//   a KSRTAUDIO_HWREGISTER fill and a 128-bit mul-div (libgcc's __udivti3, linked statically);
//   KS GUIDs (KSCATEGORY_*, KSDATAFORMAT_*) from libksguid.a.

namespace probe {

constexpr ULONG kPoolTag = 'bPvW';  // "WvPb" in pool dumps: wavert probe

// frames × 10'000'000 / rate without overflow for any uptime: the mul-div shape the driver's
// position math uses. On x64 g++ lowers the 128-bit division to a call to libgcc's __udivti3.
inline ULONGLONG MulDiv64(ULONGLONG value, ULONGLONG numerator, ULONGLONG denominator) {
  return static_cast<ULONGLONG>((static_cast<unsigned __int128>(value) * numerator) / denominator);
}

// A stand-in for a device register page, so GetPositionRegister has something to point at.
struct RegisterPage {
  volatile ULONG lpib;
  volatile ULONG wall_clock;
};

class Stream : public IMiniportWaveRTStreamNotification,
               public IMiniportWaveRTOutputStream,
               public CUnknown {
 public:
  DECLARE_STD_UNKNOWN();
  DEFINE_STD_CONSTRUCTOR(Stream);
  ~Stream() override;

  NTSTATUS Init(PPORTWAVERTSTREAM port_stream);

  // IMiniportWaveRTStream
  STDMETHODIMP_(NTSTATUS) SetFormat(PKSDATAFORMAT format) override;
  STDMETHODIMP_(NTSTATUS) SetState(KSSTATE state) override;
  STDMETHODIMP_(NTSTATUS) GetPosition(PKSAUDIO_POSITION position) override;
  STDMETHODIMP_(NTSTATUS) AllocateAudioBuffer(ULONG requested_size, PMDL* mdl, ULONG* actual_size,
                                              ULONG* offset_from_first_page,
                                              MEMORY_CACHING_TYPE* cache_type) override;
  STDMETHODIMP_(VOID) FreeAudioBuffer(PMDL mdl, ULONG size) override;
  STDMETHODIMP_(VOID) GetHWLatency(KSRTAUDIO_HWLATENCY* latency) override;
  STDMETHODIMP_(NTSTATUS) GetPositionRegister(KSRTAUDIO_HWREGISTER* reg) override;
  STDMETHODIMP_(NTSTATUS) GetClockRegister(KSRTAUDIO_HWREGISTER* reg) override;
  // IMiniportWaveRTStreamNotification
  STDMETHODIMP_(NTSTATUS) AllocateBufferWithNotification(ULONG notification_count,
                                                         ULONG requested_size, PMDL* mdl,
                                                         ULONG* actual_size,
                                                         ULONG* offset_from_first_page,
                                                         MEMORY_CACHING_TYPE* cache_type) override;
  STDMETHODIMP_(VOID) FreeBufferWithNotification(PMDL mdl, ULONG size) override;
  STDMETHODIMP_(NTSTATUS) RegisterNotificationEvent(PKEVENT event) override;
  STDMETHODIMP_(NTSTATUS) UnregisterNotificationEvent(PKEVENT event) override;
  // IMiniportWaveRTOutputStream
  STDMETHODIMP_(NTSTATUS) SetWritePacket(ULONG packet_number, DWORD flags,
                                         ULONG eos_packet_length) override;
  STDMETHODIMP_(NTSTATUS) GetOutputStreamPresentationPosition(
      KSAUDIO_PRESENTATION_POSITION* position) override;
  STDMETHODIMP_(NTSTATUS) GetPacketCount(ULONG* packet_count) override;

 private:
  static VOID TimerCallback(PEX_TIMER timer, PVOID context);

  PPORTWAVERTSTREAM port_stream_ = nullptr;
  PEX_TIMER timer_ = nullptr;
  KSPIN_LOCK lock_;  // guards the fields below; taken at DISPATCH_LEVEL by the timer callback
  RegisterPage* registers_ = nullptr;
  PMDL buffer_mdl_ = nullptr;
  ULONGLONG start_qpc_ = 0;
  ULONGLONG qpc_frequency_ = 1;
  ULONG page_frame_sum_ = 0;
  ULONG packets_ = 0;
};

Stream::~Stream() {
  if (timer_ != nullptr) ExDeleteTimer(timer_, TRUE, TRUE, nullptr);
  if (registers_ != nullptr) ExFreePoolWithTag(registers_, kPoolTag);
  if (port_stream_ != nullptr) port_stream_->Release();
}

NTSTATUS Stream::Init(PPORTWAVERTSTREAM port_stream) {
  KeInitializeSpinLock(&lock_);
  registers_ =
      static_cast<RegisterPage*>(ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(RegisterPage), kPoolTag));
  if (registers_ == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  timer_ = ExAllocateTimer(&Stream::TimerCallback, this, EX_TIMER_HIGH_RESOLUTION);
  if (timer_ == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  port_stream_ = port_stream;
  port_stream_->AddRef();
  LARGE_INTEGER frequency;
  start_qpc_ = static_cast<ULONGLONG>(KeQueryPerformanceCounter(&frequency).QuadPart);
  qpc_frequency_ = static_cast<ULONGLONG>(frequency.QuadPart);
  return STATUS_SUCCESS;
}

VOID Stream::TimerCallback(PEX_TIMER, PVOID context) {
  auto* self = static_cast<Stream*>(context);
  KIRQL old_irql;
  KeAcquireSpinLock(&self->lock_, &old_irql);
  ULONGLONG elapsed = static_cast<ULONGLONG>(KeQueryPerformanceCounter(nullptr).QuadPart) -
                      self->start_qpc_;
  self->registers_->lpib = static_cast<ULONG>(MulDiv64(elapsed, 48000 * 4, self->qpc_frequency_));
  ++self->packets_;
  KeReleaseSpinLock(&self->lock_, old_irql);
}

STDMETHODIMP_(NTSTATUS) Stream::NonDelegatingQueryInterface(REFIID iid, PVOID* object) {
  if (IsEqualGUIDAligned(iid, IID_IUnknown)) {
    *object = PVOID(PUNKNOWN(static_cast<IMiniportWaveRTStream*>(this)));
  } else if (IsEqualGUIDAligned(iid, IID_IMiniportWaveRTStream)) {
    *object = PVOID(static_cast<IMiniportWaveRTStream*>(this));
  } else if (IsEqualGUIDAligned(iid, IID_IMiniportWaveRTStreamNotification)) {
    *object = PVOID(static_cast<IMiniportWaveRTStreamNotification*>(this));
  } else if (IsEqualGUIDAligned(iid, IID_IMiniportWaveRTOutputStream)) {
    *object = PVOID(static_cast<IMiniportWaveRTOutputStream*>(this));
  } else {
    *object = nullptr;
    return STATUS_INVALID_PARAMETER;
  }
  PUNKNOWN(*object)->AddRef();
  return STATUS_SUCCESS;
}

STDMETHODIMP_(NTSTATUS) Stream::SetFormat(PKSDATAFORMAT) { return STATUS_NOT_SUPPORTED; }

STDMETHODIMP_(NTSTATUS) Stream::SetState(KSSTATE state) {
  if (state == KSSTATE_RUN) {
    // Relative due time in 100 ns units (negative), period 1 ms.
    ExSetTimer(timer_, -10'000, 10'000, nullptr);
  } else {
    ExCancelTimer(timer_, nullptr);
  }
  return STATUS_SUCCESS;
}

STDMETHODIMP_(NTSTATUS) Stream::GetPosition(PKSAUDIO_POSITION position) {
  KIRQL old_irql;
  KeAcquireSpinLock(&lock_, &old_irql);
  position->PlayOffset = registers_->lpib;
  position->WriteOffset = registers_->lpib;
  KeReleaseSpinLock(&lock_, old_irql);
  return STATUS_SUCCESS;
}

STDMETHODIMP_(NTSTATUS) Stream::AllocateAudioBuffer(ULONG requested_size, PMDL* mdl,
                                                    ULONG* actual_size,
                                                    ULONG* offset_from_first_page,
                                                    MEMORY_CACHING_TYPE* cache_type) {
  PHYSICAL_ADDRESS high;
  high.QuadPart = -1;  // 64-bit scatter/gather DMA reaches any page
  PMDL buffer = port_stream_->AllocatePagesForMdl(high, requested_size);
  if (buffer == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  // Walk the page frames the way the BDL builder will: from the MDL, not GetPhysicalPageAddress.
  PPFN_NUMBER frames = MmGetMdlPfnArray(buffer);
  ULONG pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(buffer),
                                               MmGetMdlByteCount(buffer));
  for (ULONG i = 0; i < pages; ++i) page_frame_sum_ += static_cast<ULONG>(frames[i]);
  KeStallExecutionProcessor(1);
  buffer_mdl_ = buffer;
  *mdl = buffer;
  *actual_size = MmGetMdlByteCount(buffer);
  *offset_from_first_page = 0;
  *cache_type = MmCached;
  return STATUS_SUCCESS;
}

STDMETHODIMP_(VOID) Stream::FreeAudioBuffer(PMDL mdl, ULONG) {
  port_stream_->FreePagesFromMdl(mdl);
  buffer_mdl_ = nullptr;
}

STDMETHODIMP_(VOID) Stream::GetHWLatency(KSRTAUDIO_HWLATENCY* latency) {
  latency->FifoSize = 192;
  latency->ChipsetDelay = 0;
  latency->CodecDelay = 0;
}

STDMETHODIMP_(NTSTATUS) Stream::GetPositionRegister(KSRTAUDIO_HWREGISTER* reg) {
  reg->Register = const_cast<ULONG*>(&registers_->lpib);
  reg->Width = 32;
  reg->Numerator = 0;
  reg->Denominator = 0;
  reg->Accuracy = 192;
  return STATUS_SUCCESS;
}

STDMETHODIMP_(NTSTATUS) Stream::GetClockRegister(KSRTAUDIO_HWREGISTER* reg) {
  reg->Register = const_cast<ULONG*>(&registers_->wall_clock);
  reg->Width = 32;
  reg->Numerator = 24'000'000;
  reg->Denominator = 1;
  reg->Accuracy = 0;
  return STATUS_SUCCESS;
}

STDMETHODIMP_(NTSTATUS) Stream::AllocateBufferWithNotification(ULONG, ULONG requested_size,
                                                               PMDL* mdl, ULONG* actual_size,
                                                               ULONG* offset_from_first_page,
                                                               MEMORY_CACHING_TYPE* cache_type) {
  return AllocateAudioBuffer(requested_size, mdl, actual_size, offset_from_first_page, cache_type);
}

STDMETHODIMP_(VOID) Stream::FreeBufferWithNotification(PMDL mdl, ULONG size) {
  FreeAudioBuffer(mdl, size);
}

STDMETHODIMP_(NTSTATUS) Stream::RegisterNotificationEvent(PKEVENT event) {
  KeSetEvent(event, IO_NO_INCREMENT, FALSE);
  return STATUS_SUCCESS;
}

STDMETHODIMP_(NTSTATUS) Stream::UnregisterNotificationEvent(PKEVENT) { return STATUS_SUCCESS; }

STDMETHODIMP_(NTSTATUS) Stream::SetWritePacket(ULONG, DWORD, ULONG) { return STATUS_SUCCESS; }

STDMETHODIMP_(NTSTATUS) Stream::GetOutputStreamPresentationPosition(
    KSAUDIO_PRESENTATION_POSITION* position) {
  position->u64PositionInBlocks = packets_;
  position->u64QPCPosition = static_cast<UINT64>(KeQueryPerformanceCounter(nullptr).QuadPart);
  return STATUS_SUCCESS;
}

STDMETHODIMP_(NTSTATUS) Stream::GetPacketCount(ULONG* packet_count) {
  *packet_count = packets_;
  return STATUS_SUCCESS;
}

class Miniport : public IMiniportWaveRT, public CUnknown {
 public:
  DECLARE_STD_UNKNOWN();
  DEFINE_STD_CONSTRUCTOR(Miniport);
  ~Miniport() override = default;

  // IMiniport
  STDMETHODIMP_(NTSTATUS) GetDescription(PPCFILTER_DESCRIPTOR* description) override;
  STDMETHODIMP_(NTSTATUS) DataRangeIntersection(ULONG pin_id, PKSDATARANGE data_range,
                                                PKSDATARANGE matching_data_range,
                                                ULONG output_buffer_length, PVOID result,
                                                PULONG result_length) override;
  // IMiniportWaveRT
  STDMETHODIMP_(NTSTATUS) Init(PUNKNOWN unknown_adapter, PRESOURCELIST resource_list,
                               PPORTWAVERT port) override;
  STDMETHODIMP_(NTSTATUS) NewStream(PMINIPORTWAVERTSTREAM* stream, PPORTWAVERTSTREAM port_stream,
                                    ULONG pin, BOOLEAN capture, PKSDATAFORMAT format) override;
  STDMETHODIMP_(NTSTATUS) GetDeviceDescription(PDEVICE_DESCRIPTION description) override;
};

STDMETHODIMP_(NTSTATUS) Miniport::NonDelegatingQueryInterface(REFIID iid, PVOID* object) {
  if (IsEqualGUIDAligned(iid, IID_IUnknown) || IsEqualGUIDAligned(iid, IID_IMiniport) ||
      IsEqualGUIDAligned(iid, IID_IMiniportWaveRT)) {
    *object = PVOID(static_cast<IMiniportWaveRT*>(this));
    PUNKNOWN(*object)->AddRef();
    return STATUS_SUCCESS;
  }
  *object = nullptr;
  return STATUS_INVALID_PARAMETER;
}

STDMETHODIMP_(NTSTATUS) Miniport::GetDescription(PPCFILTER_DESCRIPTOR* description) {
  *description = nullptr;
  return STATUS_NOT_IMPLEMENTED;
}

STDMETHODIMP_(NTSTATUS) Miniport::DataRangeIntersection(ULONG, PKSDATARANGE data_range,
                                                        PKSDATARANGE, ULONG, PVOID,
                                                        PULONG result_length) {
  *result_length = 0;
  // Touch KS GUIDs that must come from libksguid.a.
  if (!IsEqualGUIDAligned(data_range->MajorFormat, KSDATAFORMAT_TYPE_AUDIO) ||
      !IsEqualGUIDAligned(data_range->SubFormat, KSDATAFORMAT_SUBTYPE_PCM)) {
    return STATUS_NO_MATCH;
  }
  return STATUS_NOT_IMPLEMENTED;
}

STDMETHODIMP_(NTSTATUS) Miniport::Init(PUNKNOWN, PRESOURCELIST, PPORTWAVERT) {
  return STATUS_SUCCESS;
}

STDMETHODIMP_(NTSTATUS) Miniport::NewStream(PMINIPORTWAVERTSTREAM* stream,
                                            PPORTWAVERTSTREAM port_stream, ULONG, BOOLEAN,
                                            PKSDATAFORMAT) {
  auto* created = new (POOL_FLAG_NON_PAGED, kPoolTag) Stream(nullptr);
  if (created == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  created->AddRef();
  NTSTATUS status = created->Init(port_stream);
  if (NT_SUCCESS(status)) {
    *stream = static_cast<IMiniportWaveRTStream*>(created);
    created->AddRef();
  }
  created->Release();
  return status;
}

STDMETHODIMP_(NTSTATUS) Miniport::GetDeviceDescription(PDEVICE_DESCRIPTION description) {
  RtlZeroMemory(description, sizeof(*description));
  description->Version = DEVICE_DESCRIPTION_VERSION2;
  description->Master = TRUE;
  description->ScatterGather = TRUE;
  description->Dma64BitAddresses = TRUE;
  description->InterfaceType = PNPBus;
  description->MaximumLength = 0xFFFFFFFF;
  return STATUS_SUCCESS;
}

NTSTATUS StartDevice(PDEVICE_OBJECT device, PIRP irp, PRESOURCELIST resources) {
  PPORT port = nullptr;
  NTSTATUS status = PcNewPort(&port, CLSID_PortWaveRT);
  if (!NT_SUCCESS(status)) return status;

  auto* miniport = new (NonPagedPoolNx, kPoolTag) Miniport(nullptr);
  if (miniport == nullptr) {
    port->Release();
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  miniport->AddRef();
  status = port->Init(device, irp, PUNKNOWN(static_cast<IMiniportWaveRT*>(miniport)), nullptr,
                      resources);
  if (NT_SUCCESS(status)) status = PcRegisterSubdevice(device, const_cast<PWSTR>(L"Wave"), port);
  miniport->Release();
  port->Release();
  return status;
}

NTSTATUS AddDevice(PDRIVER_OBJECT driver, PDEVICE_OBJECT physical_device) {
  constexpr ULONG kMaxMiniports = 2;  // wave + topology
  return PcAddAdapterDevice(driver, physical_device, PCPFNSTARTDEVICE(StartDevice), kMaxMiniports,
                            0);
}

}  // namespace probe

extern "C" NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registry_path) {
  return PcInitializeAdapterDriver(driver, registry_path, probe::AddDevice);
}
