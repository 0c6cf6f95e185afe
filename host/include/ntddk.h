// ntddk.h: a superset of wdm.h in the WDK; the host has one kernel API, so the same.
#pragma once
#include "wdm.h"
