// Buffer descriptor list building (bdl.h).
#include "wave/bdl.h"

namespace wavert::wave {
namespace {

// Walks the buffer in entry-sized runs; `emit(address, length, ioc)` sees each.
template <typename Emit>
void walk_entries(const BdlLayout& layout, Emit emit) {
  ULONG done = 0;
  while (done < layout.buffer_bytes) {
    const ULONG in_mdl = layout.first_page_offset + done;
    const ULONG page = in_mdl / PAGE_SIZE;
    const ULONG page_offset = in_mdl % PAGE_SIZE;
    ULONG length = PAGE_SIZE - page_offset;
    if (length > layout.buffer_bytes - done) length = layout.buffer_bytes - done;
    bool ioc = false;
    if (layout.packet_bytes != 0) {
      const ULONG to_packet_end = layout.packet_bytes - done % layout.packet_bytes;
      if (to_packet_end <= length) {
        length = to_packet_end;
        ioc = true;
      }
    }
    const ULONGLONG address = (static_cast<ULONGLONG>(layout.pfns[page]) << PAGE_SHIFT) + page_offset;
    emit(address, length, ioc);
    done += length;
  }
}

}  // namespace

ULONG bdl_entry_count(const BdlLayout& layout) {
  ULONG count = 0;
  walk_entries(layout, [&count](ULONGLONG, ULONG, bool) { ++count; });
  return count;
}

NTSTATUS build_bdl(const BdlLayout& layout, hw::BufferDescriptor* entries, ULONG capacity, ULONG* count) {
  if (layout.buffer_bytes == 0) return STATUS_INVALID_PARAMETER;
  if (layout.packet_bytes != 0 && layout.buffer_bytes % layout.packet_bytes != 0) return STATUS_INVALID_PARAMETER;
  const ULONG needed = bdl_entry_count(layout);
  if (needed > capacity) return STATUS_BUFFER_TOO_SMALL;
  ULONG index = 0;
  walk_entries(layout, [entries, &index](ULONGLONG address, ULONG length, bool ioc) {
    entries[index].address = address;
    entries[index].length = length;
    entries[index].flags = ioc ? hw::kBdlIoc : 0;
    ++index;
  });
  *count = index;
  return STATUS_SUCCESS;
}

}  // namespace wavert::wave
