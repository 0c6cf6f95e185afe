// Host side of the registry: the store the driver reads through ZwQueryValueKey and
// RtlQueryRegistryValues, filled from a .reg-style file or set directly by tests and the CLI.
//
// The store is process-wide and belongs to the running KernelSession: it is emptied when a
// session boots (then KernelConfig::registry_file is loaded) and when it shuts down. File format,
// key paths and the keys each driver routine opens: docs/registry.md.
//
// Key paths here are written as in a .reg file: HKEY_LOCAL_MACHINE\... (or HKLM\...),
// HKEY_USERS\... (HKU), HKEY_CURRENT_USER\... (HKCU), or the kernel's \Registry\Machine\....
// A path with any other root throws std::invalid_argument.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wavert::host::registry {

struct Value {
  std::uint32_t type = 0;          // REG_*
  std::vector<std::uint8_t> data;  // as the kernel stores it: strings are UTF-16LE with terminators

  std::optional<std::uint32_t> as_dword() const;               // REG_DWORD of 4 bytes
  std::optional<std::uint64_t> as_qword() const;               // REG_QWORD of 8 bytes
  std::optional<std::string> as_string() const;                // REG_SZ / REG_EXPAND_SZ, as UTF-8
  std::optional<std::vector<std::string>> as_multi_string() const;  // REG_MULTI_SZ
};

struct LoadError {
  std::string file;
  unsigned line = 0;    // 1-based; 0 when the file could not be read at all
  std::string message;  // what was expected

  std::string text() const;  // "file:line: message"
};

// Merges a file (or text) into the store. Nothing is applied from a file with an error.
std::optional<LoadError> load_file(const std::string& path);
std::optional<LoadError> load_text(std::string_view text, std::string_view source_name = "<text>");

// Keys along the path are created as needed.
void create_key(std::string_view key_path);
void set_value(std::string_view key_path, std::string_view value_name, std::uint32_t type,
               std::vector<std::uint8_t> data);
void set_dword(std::string_view key_path, std::string_view value_name, std::uint32_t value);
void set_qword(std::string_view key_path, std::string_view value_name, std::uint64_t value);
void set_string(std::string_view key_path, std::string_view value_name, std::string_view value);
void set_expand_string(std::string_view key_path, std::string_view value_name, std::string_view value);
void set_multi_string(std::string_view key_path, std::string_view value_name, const std::vector<std::string>& values);
void set_binary(std::string_view key_path, std::string_view value_name, std::vector<std::uint8_t> value);

std::optional<Value> get_value(std::string_view key_path, std::string_view value_name);
bool key_exists(std::string_view key_path);
bool delete_value(std::string_view key_path, std::string_view value_name);
bool delete_key(std::string_view key_path);  // and everything below it
void clear();

// The whole store as .reg text; load_text(dump()) rebuilds the same store.
std::string dump();

} // namespace wavert::host::registry
