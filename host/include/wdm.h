// wdm.h for the wavert host: the Windows kernel API that audio drivers use, implemented in user
// space (host/kernel). Driver source includes this exactly as it would the WDK's.
#pragma once

#include "wavert/nt/types.h"
#include "wavert/nt/status.h"
#include "wavert/nt/callsite.h"
#include "wavert/nt/irql.h"
#include "wavert/nt/list.h"
#include "wavert/nt/rtl.h"
#include "wavert/nt/debug.h"
#include "wavert/nt/ex.h"
#include "wavert/nt/mm.h"
#include "wavert/nt/ke.h"
#include "wavert/nt/io.h"
#include "wavert/nt/zw_file.h"
