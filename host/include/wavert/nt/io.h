// Placeholder for the io part of the WDK API; filled in by its implementation.
#pragma once
#include "wavert/nt/types.h"
