// The eventfd mirror of user events (events.hpp, event_fd): what poll()-based clients such as the
// ALSA plugin wait on.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <wdm.h>

#include "wavert/host/events.hpp"
#include "wavert/host/kernel.hpp"

namespace wavert::host {
namespace {

bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
}

std::uint64_t read_count(int fd) {
  std::uint64_t count = 0;
  if (::read(fd, &count, sizeof count) != static_cast<ssize_t>(sizeof count)) return 0;
  return count;
}

class EventFd : public ::testing::Test {
 protected:
  KernelSession session_{KernelConfig{}};
};

TEST_F(EventFd, ReadableAfterEachSignalUntilRead) {
  HANDLE event = nullptr;
  ASSERT_EQ(create_user_event(false, false, &event), STATUS_SUCCESS);
  const int fd = event_fd(event);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(event_fd(event), fd) << "one mirror per event";
  EXPECT_FALSE(readable(fd));

  ASSERT_EQ(set_user_event(event), STATUS_SUCCESS);
  ASSERT_EQ(set_user_event(event), STATUS_SUCCESS);
  EXPECT_TRUE(readable(fd));
  EXPECT_EQ(read_count(fd), 2u) << "the read returns the signals since the last read";
  EXPECT_FALSE(readable(fd));
  // Reading the mirror does not consume the (auto-reset) event itself.
  EXPECT_EQ(wait_user_event(event, 0), STATUS_SUCCESS);
  EXPECT_EQ(close_user_event(event), STATUS_SUCCESS);
}

TEST_F(EventFd, ReadableAtCreationWhenTheEventIsAlreadySignalled) {
  HANDLE event = nullptr;
  ASSERT_EQ(create_user_event(true, true, &event), STATUS_SUCCESS);
  const int fd = event_fd(event);
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(readable(fd));
  EXPECT_EQ(read_count(fd), 1u);
  // Resetting the event is not a signal.
  ASSERT_EQ(reset_user_event(event), STATUS_SUCCESS);
  EXPECT_FALSE(readable(fd));
  EXPECT_EQ(close_user_event(event), STATUS_SUCCESS);
}

TEST_F(EventFd, KernelSideKeSetEventOnTheReferencedEventWakesPoll) {
  HANDLE event = nullptr;
  ASSERT_EQ(create_user_event(false, false, &event), STATUS_SUCCESS);
  const int fd = event_fd(event);
  PKEVENT kevent = nullptr;
  ASSERT_EQ(reference_event_by_handle(event, KernelMode, &kevent), STATUS_SUCCESS);
  EXPECT_FALSE(readable(fd));
  (void)KeSetEvent(kevent, IO_NO_INCREMENT, FALSE);
  EXPECT_TRUE(readable(fd));
  dereference_event(kevent);
  EXPECT_EQ(close_user_event(event), STATUS_SUCCESS);
}

TEST_F(EventFd, DescriptorIsClosedWithTheLastReference) {
  HANDLE event = nullptr;
  ASSERT_EQ(create_user_event(false, false, &event), STATUS_SUCCESS);
  const int fd = event_fd(event);
  ASSERT_GE(fd, 0);
  EXPECT_NE(::fcntl(fd, F_GETFD), -1);
  EXPECT_EQ(close_user_event(event), STATUS_SUCCESS);
  errno = 0;
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1);
  EXPECT_EQ(errno, EBADF);
}

TEST_F(EventFd, NoDescriptorForAHandleThatIsNotAnOpenEvent) {
  HANDLE event = nullptr;
  ASSERT_EQ(create_user_event(false, false, &event), STATUS_SUCCESS);
  EXPECT_EQ(close_user_event(event), STATUS_SUCCESS);
  EXPECT_EQ(event_fd(event), -1);
}

}  // namespace
}  // namespace wavert::host
