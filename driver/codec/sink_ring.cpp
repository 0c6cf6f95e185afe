// ByteRing and PassiveWorker (sink_ring.h).
#include "codec/sink_ring.h"

#include "common/tags.h"

namespace wavert::codec {

// ---- ByteRing -------------------------------------------------------------------------------

ByteRing::~ByteRing() {
  if (storage_ != nullptr) ExFreePoolWithTag(storage_, tags::kSink);
}

NTSTATUS ByteRing::allocate(ULONG capacity_bytes) {
  PAGED_CODE();
  NT_ASSERT(storage_ == nullptr && capacity_bytes > 0);
  KeInitializeSpinLock(&lock_);
  storage_ = static_cast<UCHAR*>(ExAllocatePool2(POOL_FLAG_NON_PAGED, capacity_bytes, tags::kSink));
  if (storage_ == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  capacity_bytes_ = capacity_bytes;
  return STATUS_SUCCESS;
}

ULONG ByteRing::used_bytes() const {
  KIRQL old_irql;
  KeAcquireSpinLock(&lock_, &old_irql);
  const ULONG used = static_cast<ULONG>(head_bytes_ - tail_bytes_);
  KeReleaseSpinLock(&lock_, old_irql);
  return used;
}

void ByteRing::put(ULONG offset, const void* data, ULONG bytes) {
  KIRQL old_irql;
  KeAcquireSpinLock(&lock_, &old_irql);
  const ULONGLONG head = head_bytes_;
  KeReleaseSpinLock(&lock_, old_irql);
  const ULONG start = static_cast<ULONG>((head + offset) % capacity_bytes_);
  const ULONG first = bytes < capacity_bytes_ - start ? bytes : capacity_bytes_ - start;
  RtlCopyMemory(storage_ + start, data, first);
  RtlCopyMemory(storage_, static_cast<const UCHAR*>(data) + first, bytes - first);
}

void ByteRing::commit(ULONG bytes) {
  KIRQL old_irql;
  KeAcquireSpinLock(&lock_, &old_irql);
  NT_ASSERT(head_bytes_ - tail_bytes_ + bytes <= capacity_bytes_);
  head_bytes_ += bytes;
  KeReleaseSpinLock(&lock_, old_irql);
}

void ByteRing::get(ULONG offset, void* data, ULONG bytes) const {
  KIRQL old_irql;
  KeAcquireSpinLock(&lock_, &old_irql);
  const ULONGLONG tail = tail_bytes_;
  KeReleaseSpinLock(&lock_, old_irql);
  const ULONG start = static_cast<ULONG>((tail + offset) % capacity_bytes_);
  const ULONG first = bytes < capacity_bytes_ - start ? bytes : capacity_bytes_ - start;
  RtlCopyMemory(data, storage_ + start, first);
  RtlCopyMemory(static_cast<UCHAR*>(data) + first, storage_, bytes - first);
}

void ByteRing::consume(ULONG bytes) {
  KIRQL old_irql;
  KeAcquireSpinLock(&lock_, &old_irql);
  NT_ASSERT(tail_bytes_ + bytes <= head_bytes_);
  tail_bytes_ += bytes;
  KeReleaseSpinLock(&lock_, old_irql);
}

// ---- PassiveWorker --------------------------------------------------------------------------

PassiveWorker::~PassiveWorker() { NT_ASSERT(item_ == nullptr); }

NTSTATUS PassiveWorker::start(PDEVICE_OBJECT device, Routine* routine, void* context) {
  PAGED_CODE();
  KeInitializeSpinLock(&lock_);
  KeInitializeEvent(&idle_, NotificationEvent, TRUE);
  routine_ = routine;
  context_ = context;
  item_ = IoAllocateWorkItem(device);
  return item_ != nullptr ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
}

void PassiveWorker::kick() {
  bool queue = false;
  KIRQL old_irql;
  KeAcquireSpinLock(&lock_, &old_irql);
  if (!queued_ && !closing_ && item_ != nullptr) {
    queued_ = true;
    KeClearEvent(&idle_);
    queue = true;
  }
  KeReleaseSpinLock(&lock_, old_irql);
  // Outside the lock: the item is not queued (queued_ was false and only this path queues it),
  // and close_and_wait() cannot free it before the run this queues has set idle_.
  if (queue) IoQueueWorkItem(item_, run, DelayedWorkQueue, this);
}

void PassiveWorker::run(PDEVICE_OBJECT, PVOID context) {
  auto* self = static_cast<PassiveWorker*>(context);
  KIRQL old_irql;
  KeAcquireSpinLock(&self->lock_, &old_irql);
  self->queued_ = false;  // what is produced from now on needs (and gets) another run
  KeReleaseSpinLock(&self->lock_, old_irql);

  self->routine_(self->context_);

  // idle_ is set under the lock, so close_and_wait() -- which takes the lock after its wait --
  // cannot free this object before this run has released the lock for the last time.
  KeAcquireSpinLock(&self->lock_, &old_irql);
  if (!self->queued_) KeSetEvent(&self->idle_, IO_NO_INCREMENT, FALSE);
  KeReleaseSpinLock(&self->lock_, old_irql);
}

void PassiveWorker::close_and_wait() {
  PAGED_CODE();
  if (item_ == nullptr) return;
  KIRQL old_irql;
  KeAcquireSpinLock(&lock_, &old_irql);
  closing_ = true;
  KeReleaseSpinLock(&lock_, old_irql);
  const NTSTATUS wait = KeWaitForSingleObject(&idle_, Executive, KernelMode, FALSE, nullptr);
  NT_ASSERT(wait == STATUS_SUCCESS);
  (void)wait;
  KeAcquireSpinLock(&lock_, &old_irql);
  NT_ASSERT(!queued_);
  KeReleaseSpinLock(&lock_, old_irql);
  IoFreeWorkItem(item_);
  item_ = nullptr;
}

}  // namespace wavert::codec

namespace wavert::codec {

NTSTATUS open_spec_file(const char* path, ULONG path_chars, bool write, HANDLE* out) {
  PAGED_CODE();
  *out = nullptr;
  static const char kDosPrefix[] = "\\??\\";
  const ULONG prefix_chars = path[0] == '\\' ? 0 : 4;
  const ULONG chars = prefix_chars + path_chars;
  if (chars * sizeof(WCHAR) > 0xFFFE) return STATUS_INVALID_PARAMETER;
  auto* buffer = static_cast<WCHAR*>(ExAllocatePool2(POOL_FLAG_NON_PAGED, chars * sizeof(WCHAR), tags::kSink));
  if (buffer == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  for (ULONG i = 0; i < prefix_chars; ++i) buffer[i] = static_cast<WCHAR>(kDosPrefix[i]);
  for (ULONG i = 0; i < path_chars; ++i) buffer[prefix_chars + i] = static_cast<WCHAR>(path[i]);  // ASCII (spec.h)
  UNICODE_STRING name;
  name.Buffer = buffer;
  name.Length = static_cast<USHORT>(chars * sizeof(WCHAR));
  name.MaximumLength = name.Length;
  OBJECT_ATTRIBUTES attributes;
  InitializeObjectAttributes(&attributes, &name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, nullptr, nullptr);
  IO_STATUS_BLOCK io_status;
  const NTSTATUS status =
      ZwCreateFile(out, write ? (GENERIC_WRITE | SYNCHRONIZE) : (GENERIC_READ | SYNCHRONIZE), &attributes, &io_status,
                   nullptr, FILE_ATTRIBUTE_NORMAL, FILE_SHARE_READ, write ? FILE_OVERWRITE_IF : FILE_OPEN,
                   FILE_SYNCHRONOUS_IO_NONALERT | FILE_NON_DIRECTORY_FILE, nullptr, 0);
  if (!NT_SUCCESS(status)) {
    *out = nullptr;
    DbgPrintEx(DPFLTR_IHVAUDIO_ID, DPFLTR_ERROR_LEVEL, "wavert: cannot open %wZ for %s: status 0x%08X\n", &name,
               write ? "writing" : "reading", static_cast<ULONG>(status));
  }
  ExFreePoolWithTag(buffer, tags::kSink);
  return status;
}

void map_channels(const double* in, ULONG in_channels, double* out, ULONG out_channels) {
  if (in_channels == out_channels) {
    for (ULONG c = 0; c < out_channels; ++c) out[c] = in[c];
  } else if (out_channels == 1) {
    double sum = 0.0;
    for (ULONG c = 0; c < in_channels; ++c) sum += in[c];
    out[0] = sum / in_channels;
  } else if (in_channels == 1) {
    for (ULONG c = 0; c < out_channels; ++c) out[c] = in[0];
  } else {
    for (ULONG c = 0; c < out_channels; ++c) out[c] = c < in_channels ? in[c] : 0.0;
  }
}

}  // namespace wavert::codec
