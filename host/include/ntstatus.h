// ntstatus.h: status codes.
#pragma once
#include "wavert/nt/status.h"
