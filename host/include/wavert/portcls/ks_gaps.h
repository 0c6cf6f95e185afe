// ks.h pieces that PortCls descriptors need and the host's ks.h does not declare yet.
//
// KSPIN_DESCRIPTOR and SIZEOF_ARRAY belong to ks.h in the WDK. They are declared here, with the
// WDK's names and layout, until ks.h carries them; ks.h declaring KSPIN_DESCRIPTOR later makes the
// compiler report the duplicate, and this block is then deleted (SIZEOF_ARRAY is guarded, as the
// WDK guards it).
#pragma once

#include <ks.h>

#ifndef SIZEOF_ARRAY
#define SIZEOF_ARRAY(ar) (sizeof(ar) / sizeof((ar)[0]))
#endif

// The basic KSPROPSETID_Pin answers for one pin type (KSPIN_DESCRIPTOR, ks.h). Drivers build these
// in static tables with positional initializers that end in `0` for the union, so Reserved must
// stay the union's first member: it is what such an initializer sets.
typedef struct {
  ULONG InterfacesCount;
  const KSPIN_INTERFACE* Interfaces;
  ULONG MediumsCount;
  const KSPIN_MEDIUM* Mediums;
  ULONG DataRangesCount;
  const PKSDATARANGE* DataRanges;
  KSPIN_DATAFLOW DataFlow;
  KSPIN_COMMUNICATION Communication;
  const GUID* Category;  // KSNODETYPE_* / KSCATEGORY_*: KSPROPERTY_PIN_CATEGORY
  const GUID* Name;      // registry name GUID, KSPROPERTY_PIN_NAME; NULL: derived from Category
  union {
    LONGLONG Reserved;  // "used to force proper alignment on the unnamed structure"
    struct {
      ULONG ConstrainedDataRangesCount;
      PKSDATARANGE* ConstrainedDataRanges;
    };
  };
} KSPIN_DESCRIPTOR, *PKSPIN_DESCRIPTOR;
typedef const KSPIN_DESCRIPTOR* PCKSPIN_DESCRIPTOR;

// x64 layout from the documented field order and natural alignment (pointers 8-aligned).
static_assert(offsetof(KSPIN_DESCRIPTOR, Interfaces) == 8 && offsetof(KSPIN_DESCRIPTOR, Mediums) == 24 &&
                  offsetof(KSPIN_DESCRIPTOR, DataRanges) == 40 && offsetof(KSPIN_DESCRIPTOR, DataFlow) == 48 &&
                  offsetof(KSPIN_DESCRIPTOR, Communication) == 52 && offsetof(KSPIN_DESCRIPTOR, Category) == 56 &&
                  offsetof(KSPIN_DESCRIPTOR, Name) == 64 && offsetof(KSPIN_DESCRIPTOR, Reserved) == 72 &&
                  offsetof(KSPIN_DESCRIPTOR, ConstrainedDataRanges) == 80 && sizeof(KSPIN_DESCRIPTOR) == 88,
              "KSPIN_DESCRIPTOR has the x64 layout");
