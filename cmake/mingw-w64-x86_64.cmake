# CMake toolchain file: cross-compile for x86_64 Windows with Debian's mingw-w64 (win32 thread
# model, g++-mingw-w64-x86-64 + mingw-w64-x86-64-dev + binutils-mingw-w64-x86-64).
#
# Used only by the Windows kernel build in windows/ (windows/build.sh passes it). It names the
# tools and the target and nothing else: kernel-mode flags are the business of
# windows/CMakeLists.txt, so this file could serve a user-mode Windows build as well.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(WAVERT_MINGW_TRIPLE x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${WAVERT_MINGW_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${WAVERT_MINGW_TRIPLE}-g++)
set(CMAKE_RC_COMPILER ${WAVERT_MINGW_TRIPLE}-windres)
set(CMAKE_AR ${WAVERT_MINGW_TRIPLE}-ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${WAVERT_MINGW_TRIPLE}-ranlib CACHE FILEPATH "")
set(CMAKE_OBJDUMP ${WAVERT_MINGW_TRIPLE}-objdump CACHE FILEPATH "")
set(WAVERT_MINGW_DLLTOOL ${WAVERT_MINGW_TRIPLE}-dlltool)

# The sysroot of the Debian packages. Headers and libraries are searched only there, never in
# the build machine's /usr/include or /usr/lib.
set(WAVERT_MINGW_SYSROOT /usr/${WAVERT_MINGW_TRIPLE})
set(CMAKE_FIND_ROOT_PATH ${WAVERT_MINGW_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# CMake's compiler check links a user-mode test program; that works with mingw's CRT and proves
# the compiler runs. The kernel image itself is linked without any CRT (windows/CMakeLists.txt).
