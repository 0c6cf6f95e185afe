// Internal: the registry store shared by the host API (registry.cpp) and the kernel routines
// (io_objects_registry.cpp). One mutex guards the whole tree; callers copy what they need and
// release it before calling back into driver code.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "wavert/nt/types.h"

namespace wavert::host::detail::reg {

struct Value {
  std::u16string name;  // empty: the key's default value ("@" in a .reg file)
  ULONG type = 0;
  std::vector<std::uint8_t> data;
};

struct Key {
  std::u16string name;
  std::u16string path;  // \REGISTRY\... as created, for messages
  std::vector<std::shared_ptr<Key>> subkeys;  // in creation order
  std::vector<Value> values;                  // in creation order

  std::shared_ptr<Key> child(std::u16string_view child_name) const;
  Value* value(std::u16string_view value_name);
  void set(std::u16string_view value_name, ULONG type, std::vector<std::uint8_t> data);
  bool erase_value(std::u16string_view value_name);
};

std::mutex& store_mutex();
// The \REGISTRY root. Guarded by store_mutex().
std::shared_ptr<Key> root();
void reset();  // lock held: empties the tree and recreates the standard keys

bool equal_ci(std::u16string_view a, std::u16string_view b);
std::vector<std::u16string> split(std::u16string_view path);
// Lock held. Null when a component is missing.
std::shared_ptr<Key> find(const std::shared_ptr<Key>& from, const std::vector<std::u16string>& components);
// Lock held. Creates every missing component.
std::shared_ptr<Key> create(const std::shared_ptr<Key>& from, const std::vector<std::u16string>& components);

// A host path (HKLM\..., \Registry\...) as components below \REGISTRY; false for another root.
bool host_path_components(std::string_view host_path, std::vector<std::u16string>& components);

} // namespace wavert::host::detail::reg
