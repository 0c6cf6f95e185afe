# wavert_kernel_abi: everything that includes the WDK-named headers in host/include links this.
#
# -fshort-wchar makes wchar_t 16 bits wide, as it is on Windows, so that L"..." literals in driver
# source are UTF-16 and WCHAR-bearing structures (UNICODE_STRING, KS pin names) have Windows'
# layout. Code built this way must not call libc/libstdc++ wide-character functions (wcslen,
# std::wstring): those were compiled for a 32-bit wchar_t. The host provides what is needed (Rtl*).
add_library(wavert_kernel_abi INTERFACE)
target_include_directories(wavert_kernel_abi INTERFACE ${PROJECT_SOURCE_DIR}/host/include)
target_compile_options(wavert_kernel_abi INTERFACE -fshort-wchar)
# WDK sources initialise KS tables by brace elision: STATICGUIDOF(x) expands to a GUID's eleven
# numbers without braces, and KSDATAFORMAT/KSIDENTIFIER are unions whose first member is an
# anonymous struct. Clang's -Wall flags every such table (GCC does not check this in C++), and
# the driver must compile unchanged, so the check is off for code built against these headers.
target_compile_options(wavert_kernel_abi INTERFACE $<$<CXX_COMPILER_ID:Clang>:-Wno-missing-braces>)
# Pool tags are multi-character constants ('Wave') in every WDK source; their value is
# implementation-defined but the same in GCC, Clang and MSVC, so the warning only adds noise.
target_compile_options(wavert_kernel_abi INTERFACE -Wno-multichar)
target_compile_definitions(wavert_kernel_abi INTERFACE WAVERT_HOST=1)

# Kernel-code rules for driver sources: no exceptions, no RTTI (DESIGN.md, "Rules the driver code
# lives by"). Host code may use both.
function(wavert_kernel_code target)
  target_compile_options(${target} PRIVATE -fno-exceptions -fno-rtti)
  target_link_libraries(${target} PUBLIC wavert_kernel_abi)
endfunction()
