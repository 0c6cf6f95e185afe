# The driver's sources: one list for both builds (the host's driver/CMakeLists.txt and the mingw-w64
# build in windows/CMakeLists.txt include this file). Every .cpp under driver/ is driver code.
file(GLOB_RECURSE WAVERT_DRIVER_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.cpp)
