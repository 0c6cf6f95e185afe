// Shared by the sink and source tests: a simulated-time kernel session with a device object for
// the sinks' IO_WORKITEMs, temporary file paths, and a way to know the work-item worker has caught
// up (work items run one at a time in queue order, so a marker item queued now runs after every
// item queued before it).
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include <wdm.h>

#include "wavert/host/io_objects.hpp"
#include "wavert/host/kernel.hpp"

namespace io_test {

inline std::vector<unsigned char> read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  const std::string text = s.str();
  return std::vector<unsigned char>(text.begin(), text.end());
}

class IoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    driver_ = wavert::host::create_driver_object("wavert_io_test");
    ASSERT_EQ(IoCreateDevice(driver_, 0, nullptr, FILE_DEVICE_SOUND, 0, FALSE, &device_), STATUS_SUCCESS);
  }
  void TearDown() override {
    for (const auto& path : paths_) std::remove(path.c_str());
    IoDeleteDevice(device_);
    wavert::host::delete_driver_object(driver_);
  }

  // A fresh temporary file name (removed at the end of the test).
  std::string temp_path(const std::string& suffix) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = info->name();
    for (auto& c : name) {
      if (c == '/') c = '_';  // parameterized tests are named Suite/Test/Param
    }
    std::string path = ::testing::TempDir() + "wavert_io_" + std::to_string(::getpid()) + "_" + name + "_" +
                       std::to_string(paths_.size()) + suffix;
    std::remove(path.c_str());
    paths_.push_back(path);
    return path;
  }

  static std::vector<unsigned char> read_file(const std::string& path) { return read_whole_file(path); }
  static void write_file(const std::string& path, const std::vector<unsigned char>& bytes) {
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                std::streamsize(bytes.size()));
  }

  // Runs `f` at DISPATCH_LEVEL, where the codec's DPC calls sinks and sources.
  template <typename F>
  static void at_dispatch(F&& f) {
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    f();
    KeLowerIrql(old);
  }

  // Returns once every work item queued so far has run.
  void wait_for_worker() { wait_for_worker(device_); }
  static void wait_for_worker(PDEVICE_OBJECT device) {
    struct Marker {
      KEVENT done;
      PIO_WORKITEM item;
    } marker;
    KeInitializeEvent(&marker.done, NotificationEvent, FALSE);
    marker.item = IoAllocateWorkItem(device);
    ASSERT_NE(marker.item, nullptr);
    IoQueueWorkItem(
        marker.item, [](PDEVICE_OBJECT, PVOID context) { KeSetEvent(&static_cast<Marker*>(context)->done, 0, FALSE); },
        DelayedWorkQueue, &marker);
    ASSERT_EQ(KeWaitForSingleObject(&marker.done, Executive, KernelMode, FALSE, nullptr), STATUS_SUCCESS);
    IoFreeWorkItem(marker.item);
  }

  // Holds the work-item worker inside an item of its own until release(): items queued meanwhile
  // (a sink's worker) wait behind it, as when the system's worker threads are busy.
  class WorkerGate {
   public:
    explicit WorkerGate(PDEVICE_OBJECT device) : device_(device) {
      KeInitializeEvent(&open_, NotificationEvent, FALSE);
      KeInitializeEvent(&entered_, NotificationEvent, FALSE);
      item_ = IoAllocateWorkItem(device);
      IoQueueWorkItem(
          item_,
          [](PDEVICE_OBJECT, PVOID context) {
            auto* self = static_cast<WorkerGate*>(context);
            KeSetEvent(&self->entered_, 0, FALSE);
            KeWaitForSingleObject(&self->open_, Executive, KernelMode, FALSE, nullptr);
          },
          DelayedWorkQueue, this);
      KeWaitForSingleObject(&entered_, Executive, KernelMode, FALSE, nullptr);
    }
    void release() {
      if (item_ == nullptr) return;
      KeSetEvent(&open_, 0, FALSE);
    }
    ~WorkerGate() {
      release();
      wait_for_worker(device_);  // the gate's routine has returned: nothing touches *this any more
      IoFreeWorkItem(item_);
    }

   private:
    PDEVICE_OBJECT device_;
    KEVENT open_, entered_;
    PIO_WORKITEM item_ = nullptr;
  };

  wavert::host::KernelSession session_;  // simulated clock, fatal verifier
  PDRIVER_OBJECT driver_ = nullptr;
  PDEVICE_OBJECT device_ = nullptr;
  std::vector<std::string> paths_;
};

// Little-endian field readers for checking headers byte by byte.
inline unsigned le16(const std::vector<unsigned char>& b, size_t at) { return b[at] | (b[at + 1] << 8); }
inline unsigned le32(const std::vector<unsigned char>& b, size_t at) {
  return b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (unsigned(b[at + 3]) << 24);
}
inline std::string id4(const std::vector<unsigned char>& b, size_t at) {
  return std::string(reinterpret_cast<const char*>(&b[at]), 4);
}

}  // namespace io_test
