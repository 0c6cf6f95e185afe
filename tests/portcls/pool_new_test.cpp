// Pool-aware new from portcls.h (wavert/portcls/pool_new.h): `new (PoolType, Tag) T` allocates
// zeroed memory from the host pool under the tag, names the new-expression's line as the
// allocation site, yields NULL without running the constructor when the pool refuses, and an
// object freed by a class-scope operator delete returns its block, all without touching the
// process's global operator new/delete.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

#include <portcls.h>
#include <stdunk.h>

#include "test_driver.h"
#include "wavert/host/kernel.hpp"
#include "wavert/host/memory.hpp"
#include "wavert/host/verifier.hpp"

namespace {

using wavert::host::KernelSession;
using wavert::host::pool_tag_usage;
using wavert::host::RecordViolations;
using wavert::host::Rule;

constexpr ULONG tag_of(const char (&name)[5]) {
  return static_cast<ULONG>(static_cast<unsigned char>(name[0])) |
         static_cast<ULONG>(static_cast<unsigned char>(name[1])) << 8 |
         static_cast<ULONG>(static_cast<unsigned char>(name[2])) << 16 |
         static_cast<ULONG>(static_cast<unsigned char>(name[3])) << 24;
}

constexpr ULONG kTag = tag_of("PcT1");

// The documented POOL_TYPE -> POOL_FLAGS translation ("NX and execute pool types": NonPagedPool
// is the executable pool; NonPagedPoolNx is not).
using wavert::portcls::PoolFlagsFromPoolType;
static_assert(PoolFlagsFromPoolType(NonPagedPoolNx) == POOL_FLAG_NON_PAGED);
static_assert(PoolFlagsFromPoolType(NonPagedPool) == POOL_FLAG_NON_PAGED_EXECUTE);
static_assert(PoolFlagsFromPoolType(NonPagedPoolExecute) == POOL_FLAG_NON_PAGED_EXECUTE);
static_assert(PoolFlagsFromPoolType(PagedPool) == POOL_FLAG_PAGED);
static_assert(PoolFlagsFromPoolType(NonPagedPoolNxCacheAligned) == (POOL_FLAG_NON_PAGED | POOL_FLAG_CACHE_ALIGNED));
static_assert(PoolFlagsFromPoolType(PagedPoolCacheAligned) == (POOL_FLAG_PAGED | POOL_FLAG_CACHE_ALIGNED));
static_assert(PoolFlagsFromPoolType(NonPagedPoolMustSucceed) == 0 && PoolFlagsFromPoolType(NonPagedPoolSession) == 0);
static_assert(wavert::portcls::kDefaultNewTag == tag_of("PcNw"));

// The allocation functions are declared non-throwing, which is what makes a new-expression test
// the result for NULL ([expr.new]). A pointer to a noexcept function only binds to a function
// declared noexcept, so these fail to compile if one loses it.
[[maybe_unused]] constexpr void* (*kPoolTypeTagNew)(std::size_t, POOL_TYPE, ULONG, WAVERT_CALL_SITE) noexcept =
    &::operator new;
[[maybe_unused]] constexpr void* (*kPoolTypeNew)(std::size_t, POOL_TYPE, WAVERT_CALL_SITE) noexcept = &::operator new;
[[maybe_unused]] constexpr void* (*kPoolFlagsNew)(std::size_t, POOL_FLAGS, ULONG, WAVERT_CALL_SITE) noexcept =
    &::operator new;

int g_constructed = 0;
int g_destroyed = 0;

// A pool object in the shape CUnknown-derived objects take: the class-scope delete is the one the
// `delete` expression finds, as stdunk.h's CUnknown will carry (docs/abi-portcls.md).
struct PoolObject {
  PoolObject() { ++g_constructed; }
  ~PoolObject() { ++g_destroyed; }
  static void operator delete(void* p) noexcept { ExFreePool(p); }

  ULONG untouched[6];  // never written by the constructor
  ULONG written = 7;
};

class PoolNew : public ::testing::Test {
 protected:
  void SetUp() override {
    g_constructed = 0;
    g_destroyed = 0;
  }
};

TEST_F(PoolNew, AllocatesZeroedPoolUnderTheTag) {
  KernelSession session;
  void* raw = ::operator new(sizeof(PoolObject), NonPagedPoolNx, kTag);
  ASSERT_NE(raw, nullptr);
  const unsigned char zeros[sizeof(PoolObject)] = {};
  EXPECT_EQ(std::memcmp(raw, zeros, sizeof(zeros)), 0) << "the WDK's pool new zeroes the block";
  EXPECT_EQ(pool_tag_usage(kTag).outstanding_count, 1u);
  EXPECT_EQ(pool_tag_usage(kTag).outstanding_bytes, sizeof(PoolObject));
  ExFreePoolWithTag(raw, kTag);  // same tag: the pool would report a mismatch
  EXPECT_EQ(pool_tag_usage(kTag).outstanding_count, 0u);
}

TEST_F(PoolNew, NewExpressionConstructsAndClassDeleteReturnsTheBlock) {
  KernelSession session;
  PoolObject* object = new (NonPagedPoolNx, kTag) PoolObject;
  ASSERT_NE(object, nullptr);
  EXPECT_EQ(g_constructed, 1);
  EXPECT_EQ(object->written, 7u);
  EXPECT_EQ(pool_tag_usage(kTag).outstanding_count, 1u);
  delete object;
  EXPECT_EQ(g_destroyed, 1);
  EXPECT_EQ(pool_tag_usage(kTag).outstanding_count, 0u);
  EXPECT_EQ(pool_tag_usage(kTag).frees, 1u);
}

TEST_F(PoolNew, PoolTypeWithoutTagUsesTheWdkDefaultTag) {
  KernelSession session;
  const ULONG default_tag = wavert::portcls::kDefaultNewTag;
  PoolObject* object = new (PagedPool) PoolObject;
  ASSERT_NE(object, nullptr);
  EXPECT_EQ(pool_tag_usage(default_tag).outstanding_count, 1u);
  EXPECT_EQ(wavert::host::pool_tag_name(default_tag), "PcNw");
  delete object;
  EXPECT_EQ(pool_tag_usage(default_tag).outstanding_count, 0u);
}

TEST_F(PoolNew, PoolFlagsFormZeroesUnlessAskedNotTo) {
  KernelSession session;
  void* zeroed = ::operator new(64, POOL_FLAG_NON_PAGED, kTag);
  void* raw = ::operator new(64, POOL_FLAG_NON_PAGED | POOL_FLAG_UNINITIALIZED, kTag);
  ASSERT_NE(zeroed, nullptr);
  ASSERT_NE(raw, nullptr);
  const unsigned char* z = static_cast<const unsigned char*>(zeroed);
  const unsigned char* r = static_cast<const unsigned char*>(raw);
  for (int i = 0; i < 64; ++i) {
    EXPECT_EQ(z[i], 0) << i;
    EXPECT_EQ(r[i], wavert::host::kPoolUninitializedFill) << i;
  }
  EXPECT_EQ(pool_tag_usage(kTag).outstanding_count, 2u);
  ExFreePool(zeroed);
  ExFreePool(raw);
}

TEST_F(PoolNew, RefusedAllocationYieldsNullAndSkipsTheConstructor) {
  KernelSession session;
  RecordViolations record;
  // A must-succeed pool type (drivers must not use it) and a zero tag are both refused.
  PoolObject* must_succeed = new (NonPagedPoolMustSucceed, kTag) PoolObject;
  PoolObject* zero_tag = new (NonPagedPoolNx, ULONG{0}) PoolObject;
  EXPECT_EQ(must_succeed, nullptr);
  EXPECT_EQ(zero_tag, nullptr);
  EXPECT_EQ(g_constructed, 0) << "a non-throwing allocation function that returns NULL skips construction";
  EXPECT_EQ(record.count(Rule::PoolBadArgument), 2u);
  auto violations = record.take();
  ASSERT_EQ(violations.size(), 2u);
  // The report names the new-expression, not portcls.h.
  EXPECT_NE(violations[0].file.find("pool_new_test.cpp"), std::string::npos) << violations[0].file;
}

TEST_F(PoolNew, LeakReportNamesTheNewExpressionLine) {
  RecordViolations record;
  unsigned line = 0;
  {
    std::optional<KernelSession> session(std::in_place);
    wavert::host::set_verifier_mode(wavert::host::VerifierMode::Record);  // the session set its own at boot
    line = __LINE__ + 1;
    PoolObject* leaked = new (NonPagedPoolNx, kTag) PoolObject;
    ASSERT_NE(leaked, nullptr);
    session.reset();
  }
  auto violations = record.take();
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].rule, Rule::PoolLeak);
  EXPECT_EQ(violations[0].line, line);
  EXPECT_NE(violations[0].file.find("pool_new_test.cpp"), std::string::npos) << violations[0].file;
  EXPECT_NE(violations[0].message.find("tag 'PcT1': 1 block(s)"), std::string::npos) << violations[0].message;
}

TEST_F(PoolNew, LastReleaseOfAMiniportStreamReturnsItsPoolBlock) {
  KernelSession session;
  const ULONG tag = tag_of("PcT2");
  const ULONG destroyed_before = portcls_test::DestroyedStreamCount();
  PMINIPORTWAVERTSTREAM stream = nullptr;
  ASSERT_EQ(portcls_test::CreateTestStream(&stream, NonPagedPoolNx, tag), STATUS_SUCCESS);
  EXPECT_EQ(pool_tag_usage(tag).outstanding_count, 1u);
  EXPECT_EQ(portcls_test::LastStreamCall(stream), portcls_test::kNoCall) << "pool new zeroed the members";
  stream->AddRef();
  EXPECT_EQ(stream->Release(), 1u);
  EXPECT_EQ(pool_tag_usage(tag).outstanding_count, 1u);
  EXPECT_EQ(stream->Release(), 0u);
  EXPECT_EQ(portcls_test::DestroyedStreamCount(), destroyed_before + 1);
  EXPECT_EQ(pool_tag_usage(tag).outstanding_count, 0u);
}

TEST_F(PoolNew, FailedStreamCreationReportsInsufficientResources) {
  KernelSession session;
  RecordViolations record;
  PMINIPORTWAVERTSTREAM stream = reinterpret_cast<PMINIPORTWAVERTSTREAM>(0x1);
  EXPECT_EQ(portcls_test::CreateTestStream(&stream, NonPagedPoolNx, 0), STATUS_INSUFFICIENT_RESOURCES);
  EXPECT_EQ(stream, nullptr);
  EXPECT_EQ(record.count(Rule::PoolBadArgument), 1u);
}

// ---- CUnknown's own deallocation ---------------------------------------------------------------

// True once stdunk.h gives CUnknown the class-scope operator delete described in
// docs/abi-portcls.md. Until then CUnknown::NonDelegatingRelease's `delete this` would hand a
// pool block to the global operator delete, so the test below cannot run and says so.
template <typename T>
concept HasClassScopeDelete = requires(void* p) { T::operator delete(p); };

class CPlainUnknown : public IUnknown, public CUnknown {
 public:
  DECLARE_STD_UNKNOWN();
  DEFINE_STD_CONSTRUCTOR(CPlainUnknown);
  ~CPlainUnknown() { ++g_destroyed; }
};

NTSTATUS CPlainUnknown::NonDelegatingQueryInterface(REFIID InterfaceId, PVOID* Interface) {
  return CUnknown::NonDelegatingQueryInterface(InterfaceId, Interface);
}

TEST_F(PoolNew, CUnknownReleaseReturnsPoolMemory) {
  if constexpr (!HasClassScopeDelete<CUnknown>) {
    GTEST_SKIP() << "stdunk.h's CUnknown has no class-scope operator delete yet; `delete this` would free a "
                    "pool block with the global delete (the change is in docs/abi-portcls.md)";
  } else {
    KernelSession session;
    const ULONG tag = tag_of("PcT3");
    CPlainUnknown* object = new (NonPagedPoolNx, tag) CPlainUnknown(nullptr);
    ASSERT_NE(object, nullptr);
    PUNKNOWN unknown = nullptr;
    ASSERT_EQ(object->NonDelegatingQueryInterface(IID_IUnknown, reinterpret_cast<PVOID*>(&unknown)), STATUS_SUCCESS);
    EXPECT_EQ(pool_tag_usage(tag).outstanding_count, 1u);
    EXPECT_EQ(unknown->Release(), 0u);
    EXPECT_EQ(g_destroyed, 1);
    EXPECT_EQ(pool_tag_usage(tag).outstanding_count, 0u);
  }
}

}  // namespace
