// Placeholder for the ke part of the WDK API; filled in by its implementation.
#pragma once
#include "wavert/nt/types.h"
