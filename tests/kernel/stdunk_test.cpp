// punknown.h / stdunk.h: the PortCls-flavour COM base. Interfaces declared with the WDK macros
// compile and dispatch; CUnknown counts references with interlocked semantics, deletes itself at
// zero, and under aggregation hands identity and counting to the outer unknown.
#include <gtest/gtest.h>

#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <wdm.h>
#include <stdunk.h>

#include "wavert/host/kernel.hpp"
#include "wavert/host/memory.hpp"
#include "wavert/portcls/pool_new.h"

namespace {

// An interface written exactly as WDK headers write them.
DEFINE_GUID(IID_ITestCounter, 0x6A1B2C3D, 0x4E5F, 0x4061, 0x82, 0x93, 0xA4, 0xB5, 0xC6, 0xD7, 0xE8, 0xF9);

#undef INTERFACE
#define INTERFACE ITestCounter
DECLARE_INTERFACE_(ITestCounter, IUnknown) {
  DEFINE_ABSTRACT_UNKNOWN()
  STDMETHOD_(NTSTATUS, Add)(THIS_ _In_ ULONG Amount) PURE;
  STDMETHOD_(ULONG, Total)(THIS) PURE;
};
#undef INTERFACE
typedef ITestCounter* PTESTCOUNTER;

int g_destroyed = 0;

class CTestCounter : public ITestCounter, public CUnknown {
 public:
  DECLARE_STD_UNKNOWN();
  DEFINE_STD_CONSTRUCTOR(CTestCounter);
  ~CTestCounter() { ++g_destroyed; }

  STDMETHODIMP_(NTSTATUS) Add(ULONG Amount) {
    m_total += Amount;
    return STATUS_SUCCESS;
  }
  STDMETHODIMP_(ULONG) Total() { return m_total; }

 private:
  ULONG m_total = 0;
};

NTSTATUS CTestCounter::NonDelegatingQueryInterface(REFIID InterfaceId, PVOID* Interface) {
  if (Interface == nullptr) return STATUS_INVALID_PARAMETER;
  if (IsEqualGUIDAligned(InterfaceId, IID_ITestCounter)) {
    *Interface = QICAST(PTESTCOUNTER);
    PUNKNOWN(*Interface)->AddRef();
    return STATUS_SUCCESS;
  }
  return CUnknown::NonDelegatingQueryInterface(InterfaceId, Interface);
}

// An aggregating object, reduced to what the test observes: its own count and the interfaces it
// answers for (itself as IUnknown, and the inner object's ITestCounter).
class TestOuter : public IUnknown {
 public:
  STDMETHODIMP_(NTSTATUS) QueryInterface(REFIID InterfaceId, PVOID* Interface) override {
    ++query_calls;
    if (IsEqualGUIDAligned(InterfaceId, IID_IUnknown)) {
      *Interface = static_cast<PUNKNOWN>(this);
      AddRef();
      return STATUS_SUCCESS;
    }
    if (inner != nullptr) return inner->NonDelegatingQueryInterface(InterfaceId, Interface);
    *Interface = nullptr;
    return STATUS_INVALID_PARAMETER;
  }
  STDMETHODIMP_(ULONG) AddRef() override { return ++refs; }
  STDMETHODIMP_(ULONG) Release() override { return --refs; }

  ULONG refs = 1;
  int query_calls = 0;
  PNONDELEGATINGUNKNOWN inner = nullptr;
};

// COM objects are kernel objects: pool memory, so every test runs in a kernel session and checks
// that releasing the last reference gave the memory back.
constexpr ULONG kTestTag = 'tnUS';

class StdUnknown : public ::testing::Test {
 protected:
  void SetUp() override { g_destroyed = 0; }
  void TearDown() override { EXPECT_EQ(wavert::host::pool_tag_usage(kTestTag).outstanding_count, 0u); }

  wavert::host::KernelSession session_;
};

TEST(ComBase, IidIUnknownIsTheComConstant) {
  const GUID expected = {0x00000000, 0x0000, 0x0000, {0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46}};
  EXPECT_TRUE(IsEqualGUID(IID_IUnknown, expected));
}

// Kernel COM: the QueryInterface slot returns NTSTATUS, so NT_SUCCESS applies to its result.
static_assert(std::is_same_v<decltype(std::declval<IUnknown&>().QueryInterface(IID_IUnknown, nullptr)), NTSTATUS>);

TEST_F(StdUnknown, UnaggregatedObjectIsItsOwnOuterAndCountsReferences) {
  CTestCounter* counter = new (NonPagedPoolNx, kTestTag) CTestCounter(nullptr);
  PUNKNOWN identity = nullptr;
  ASSERT_EQ(counter->NonDelegatingQueryInterface(IID_IUnknown, reinterpret_cast<PVOID*>(&identity)), STATUS_SUCCESS);
  ASSERT_NE(identity, nullptr);
  EXPECT_EQ(identity, counter->GetOuterUnknown());

  // The public IUnknown methods reach the same count through the outer (the object itself).
  EXPECT_EQ(counter->AddRef(), 2u);
  EXPECT_EQ(identity->AddRef(), 3u);
  EXPECT_EQ(counter->Release(), 2u);
  EXPECT_EQ(identity->Release(), 1u);
  EXPECT_EQ(g_destroyed, 0);
  EXPECT_EQ(counter->Release(), 0u);
  EXPECT_EQ(g_destroyed, 1);
}

TEST_F(StdUnknown, QueryInterfaceForIUnknownAlwaysReturnsTheSameIdentity) {
  CTestCounter* counter = new (NonPagedPoolNx, kTestTag) CTestCounter(nullptr);
  counter->AddRef();
  PUNKNOWN first = nullptr;
  PUNKNOWN second = nullptr;
  ASSERT_TRUE(NT_SUCCESS(counter->QueryInterface(IID_IUnknown, reinterpret_cast<PVOID*>(&first))));
  PTESTCOUNTER as_counter = nullptr;
  ASSERT_TRUE(NT_SUCCESS(counter->QueryInterface(IID_ITestCounter, reinterpret_cast<PVOID*>(&as_counter))));
  ASSERT_TRUE(NT_SUCCESS(as_counter->QueryInterface(IID_IUnknown, reinterpret_cast<PVOID*>(&second))));
  EXPECT_EQ(first, second);
  EXPECT_EQ(as_counter, static_cast<PTESTCOUNTER>(counter));
  first->Release();
  second->Release();
  as_counter->Release();
  EXPECT_EQ(g_destroyed, 0);
  EXPECT_EQ(counter->Release(), 0u);
  EXPECT_EQ(g_destroyed, 1);
}

TEST_F(StdUnknown, InterfaceMethodsDispatchThroughTheDeclaredVtable) {
  CTestCounter* counter = new (NonPagedPoolNx, kTestTag) CTestCounter(nullptr);
  counter->AddRef();
  PTESTCOUNTER as_counter = nullptr;
  ASSERT_EQ(counter->QueryInterface(IID_ITestCounter, reinterpret_cast<PVOID*>(&as_counter)), STATUS_SUCCESS);
  EXPECT_EQ(as_counter->Add(5), STATUS_SUCCESS);
  EXPECT_EQ(as_counter->Add(7), STATUS_SUCCESS);
  EXPECT_EQ(as_counter->Total(), 12u);
  as_counter->Release();
  counter->Release();
  EXPECT_EQ(g_destroyed, 1);
}

TEST_F(StdUnknown, UnknownInterfaceIsRefusedAndTheOutPointerCleared) {
  CTestCounter* counter = new (NonPagedPoolNx, kTestTag) CTestCounter(nullptr);
  counter->AddRef();
  const GUID unknown_iid = {0x12345678, 0x9ABC, 0xDEF0, {1, 2, 3, 4, 5, 6, 7, 8}};
  PVOID out = counter;  // stale value that must be overwritten
  NTSTATUS status = counter->QueryInterface(unknown_iid, &out);
  EXPECT_FALSE(NT_SUCCESS(status));
  EXPECT_EQ(status, STATUS_INVALID_PARAMETER);
  EXPECT_EQ(out, nullptr);
  EXPECT_EQ(counter->NonDelegatingQueryInterface(IID_IUnknown, nullptr), STATUS_INVALID_PARAMETER);
  // A refused request must not have changed the count: one Release still destroys the object.
  EXPECT_EQ(counter->Release(), 0u);
  EXPECT_EQ(g_destroyed, 1);
}

TEST_F(StdUnknown, AggregatedObjectDelegatesIdentityAndCountToTheOuter) {
  TestOuter outer;
  CTestCounter* inner = new (NonPagedPoolNx, kTestTag) CTestCounter(&outer);
  outer.inner = inner;
  EXPECT_EQ(inner->GetOuterUnknown(), static_cast<PUNKNOWN>(&outer));
  // The outer holds the inner through its non-delegating unknown.
  EXPECT_EQ(inner->NonDelegatingAddRef(), 1u);

  // QueryInterface(IID_IUnknown) on the inner's public face answers with the outer.
  PUNKNOWN identity = nullptr;
  ASSERT_EQ(inner->QueryInterface(IID_IUnknown, reinterpret_cast<PVOID*>(&identity)), STATUS_SUCCESS);
  EXPECT_EQ(identity, static_cast<PUNKNOWN>(&outer));
  EXPECT_EQ(outer.query_calls, 1);
  EXPECT_EQ(outer.refs, 2u);
  identity->Release();

  // AddRef/Release on the inner's public face move the outer's count, not the inner's.
  EXPECT_EQ(inner->AddRef(), 2u);
  EXPECT_EQ(outer.refs, 2u);
  EXPECT_EQ(inner->Release(), 1u);
  EXPECT_EQ(g_destroyed, 0);

  // The outer can reach the inner's interfaces; releasing them goes back to the outer.
  PTESTCOUNTER as_counter = nullptr;
  ASSERT_EQ(outer.QueryInterface(IID_ITestCounter, reinterpret_cast<PVOID*>(&as_counter)), STATUS_SUCCESS);
  EXPECT_EQ(outer.refs, 2u);
  as_counter->Release();
  EXPECT_EQ(outer.refs, 1u);

  // Only the non-delegating release destroys the inner.
  EXPECT_EQ(inner->NonDelegatingRelease(), 0u);
  EXPECT_EQ(g_destroyed, 1);
}

TEST_F(StdUnknown, ConcurrentAddRefAndReleaseLoseNoCounts) {
  CTestCounter* counter = new (NonPagedPoolNx, kTestTag) CTestCounter(nullptr);
  counter->AddRef();
  constexpr int kThreads = 4;
  constexpr int kIterations = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([counter] {
      for (int i = 0; i < kIterations; ++i) {
        counter->AddRef();
        counter->Release();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(g_destroyed, 0);
  EXPECT_EQ(counter->AddRef(), 2u);
  EXPECT_EQ(counter->Release(), 1u);
  EXPECT_EQ(counter->Release(), 0u);
  EXPECT_EQ(g_destroyed, 1);
}

// A destructor that takes and drops a reference (as a miniport releasing itself through a helper
// might) must not delete the object a second time.
class CSelfReferencingDestructor : public CUnknown {
 public:
  DEFINE_STD_CONSTRUCTOR(CSelfReferencingDestructor);
  ~CSelfReferencingDestructor() {
    NonDelegatingAddRef();
    NonDelegatingRelease();
    ++g_destroyed;
  }
};

TEST_F(StdUnknown, ReferenceTakenDuringDestructionDoesNotDeleteTwice) {
  CSelfReferencingDestructor* object = new (NonPagedPoolNx, kTestTag) CSelfReferencingDestructor(nullptr);
  object->NonDelegatingAddRef();
  EXPECT_EQ(object->NonDelegatingRelease(), 0u);
  EXPECT_EQ(g_destroyed, 1);
}

}  // namespace
