// ntdef.h: the base types.
#pragma once
#include "wavert/nt/types.h"
