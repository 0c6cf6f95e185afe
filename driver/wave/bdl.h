// Building a stream's buffer descriptor list (HDA §3.6.3) from the cyclic buffer's physical pages.
//
// The buffer comes from IPortWaveRTStream::AllocatePagesForMdl: pages anywhere in physical memory,
// in MDL order, named by the MDL's PFN array (never GetPhysicalPageAddress: DESIGN.md). One entry
// covers a run of bytes that lies in one page and in one packet, so
//   - the engine never needs a page to follow its predecessor physically (scatter/gather), and
//   - every packet (buffer / NotificationCount) ends exactly at the end of an entry, whose IOC bit
//     raises the buffer-complete interrupt that becomes the notification event.
// A frame may straddle two pages: entries split bytes, not frames.
//
// Pure functions: any IRQL, no allocation.
#pragma once

#include <ntddk.h>

#include "hw/registers.h"

namespace wavert::wave {

struct BdlLayout {
  const PFN_NUMBER* pfns;   // MmGetMdlPfnArray(mdl)
  ULONG first_page_offset;  // MmGetMdlByteOffset(mdl): where the buffer starts in the first page
  ULONG buffer_bytes;       // the cyclic buffer (CBL)
  ULONG packet_bytes;       // bytes between interrupts; 0: no interrupts (a plain buffer)
};

// Entries build_bdl writes for `layout`.
ULONG bdl_entry_count(const BdlLayout& layout);

// Writes the list into `entries` (room for `capacity`). STATUS_BUFFER_TOO_SMALL when it does not
// fit, STATUS_INVALID_PARAMETER for an empty buffer or a packet size that does not divide it.
[[nodiscard]] NTSTATUS build_bdl(const BdlLayout& layout, hw::BufferDescriptor* entries, ULONG capacity,
                                 ULONG* count);

}  // namespace wavert::wave
