// The registry store, its host API, and the .reg file reader/writer (docs/registry.md).
#include "wavert/host/registry.hpp"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "handles.hpp"
#include "registry_store.hpp"
#include "wavert/host/utf.hpp"
#include "subsystems.hpp"
#include "wavert/host/verifier.hpp"
#include "wavert/nt/rtl.h"

namespace wavert::host::detail::reg {
namespace {

std::mutex g_store_mutex;
std::shared_ptr<Key> g_root;  // guarded by g_store_mutex

std::shared_ptr<Key> make_key(std::u16string name, const std::u16string& parent_path) {
  auto key = std::make_shared<Key>();
  key->path = parent_path + u"\\" + name;
  key->name = std::move(name);
  return key;
}

} // namespace

bool equal_ci(std::u16string_view a, std::u16string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (RtlUpcaseUnicodeChar(WCHAR(a[i])) != RtlUpcaseUnicodeChar(WCHAR(b[i]))) return false;
  return true;
}

std::shared_ptr<Key> Key::child(std::u16string_view child_name) const {
  for (const auto& k : subkeys)
    if (equal_ci(k->name, child_name)) return k;
  return nullptr;
}

Value* Key::value(std::u16string_view value_name) {
  for (auto& v : values)
    if (equal_ci(v.name, value_name)) return &v;
  return nullptr;
}

void Key::set(std::u16string_view value_name, ULONG type, std::vector<std::uint8_t> data) {
  if (Value* v = value(value_name)) {
    v->type = type;
    v->data = std::move(data);
    return;
  }
  values.push_back(Value{std::u16string(value_name), type, std::move(data)});
}

bool Key::erase_value(std::u16string_view value_name) {
  for (auto it = values.begin(); it != values.end(); ++it) {
    if (equal_ci(it->name, value_name)) {
      values.erase(it);
      return true;
    }
  }
  return false;
}

std::mutex& store_mutex() { return g_store_mutex; }

std::shared_ptr<Key> root() {
  if (!g_root) reset();
  return g_root;
}

void reset() {
  g_root = std::make_shared<Key>();
  g_root->name = u"REGISTRY";
  g_root->path = u"\\REGISTRY";
  // The keys every Windows machine has, so RTL_REGISTRY_* bases resolve on an empty store.
  for (const char16_t* path : {u"Machine\\System\\CurrentControlSet\\Services",
                               u"Machine\\System\\CurrentControlSet\\Control\\Class",
                               u"Machine\\System\\CurrentControlSet\\Enum",
                               u"Machine\\Hardware\\DeviceMap", u"Machine\\Hardware\\Description\\System",
                               u"Machine\\Software\\Microsoft\\Windows NT\\CurrentVersion", u"User\\CurrentUser"})
    create(g_root, split(path));
}

std::vector<std::u16string> split(std::u16string_view path) {
  std::vector<std::u16string> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(u'\\', start);
    if (end == std::u16string_view::npos) end = path.size();
    if (end > start) out.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::shared_ptr<Key> find(const std::shared_ptr<Key>& from, const std::vector<std::u16string>& components) {
  std::shared_ptr<Key> key = from;
  for (const auto& c : components) {
    key = key->child(c);
    if (!key) return nullptr;
  }
  return key;
}

std::shared_ptr<Key> create(const std::shared_ptr<Key>& from, const std::vector<std::u16string>& components) {
  std::shared_ptr<Key> key = from;
  for (const auto& c : components) {
    std::shared_ptr<Key> next = key->child(c);
    if (!next) {
      next = make_key(c, key->path);
      key->subkeys.push_back(next);
    }
    key = next;
  }
  return key;
}

bool host_path_components(std::string_view host_path, std::vector<std::u16string>& components) {
  std::vector<std::u16string> parts = split(utf8_to_utf16(host_path));
  if (parts.empty()) return false;
  const std::u16string first = parts.front();
  std::vector<std::u16string> prefix;
  size_t skip = 1;
  if (equal_ci(first, u"HKEY_LOCAL_MACHINE") || equal_ci(first, u"HKLM")) {
    prefix = {u"Machine"};
  } else if (equal_ci(first, u"HKEY_USERS") || equal_ci(first, u"HKU")) {
    prefix = {u"User"};
  } else if (equal_ci(first, u"HKEY_CURRENT_USER") || equal_ci(first, u"HKCU")) {
    prefix = {u"User", u"CurrentUser"};
  } else if (equal_ci(first, u"REGISTRY") && !host_path.empty() && host_path.front() == '\\') {
    prefix = {};
  } else {
    return false;
  }
  components = prefix;
  components.insert(components.end(), parts.begin() + long(skip), parts.end());
  return true;
}

} // namespace wavert::host::detail::reg

namespace wavert::host::registry {
namespace {

using detail::reg::Key;

std::vector<std::u16string> components_or_throw(std::string_view key_path) {
  std::vector<std::u16string> components;
  if (!detail::reg::host_path_components(key_path, components))
    throw std::invalid_argument("registry path '" + std::string(key_path) +
                                "' does not start with HKEY_LOCAL_MACHINE, HKLM, HKEY_USERS, HKU, HKEY_CURRENT_USER, "
                                "HKCU or \\Registry");
  return components;
}

std::vector<std::uint8_t> utf16_bytes(const std::u16string& text) {
  std::vector<std::uint8_t> bytes;
  bytes.reserve(text.size() * 2);
  for (char16_t c : text) {
    bytes.push_back(std::uint8_t(c & 0xFF));
    bytes.push_back(std::uint8_t(c >> 8));
  }
  return bytes;
}

std::vector<std::uint8_t> string_data(std::string_view utf8) {
  std::u16string text = wavert::host::utf8_to_utf16(utf8);
  text.push_back(u'\0');
  return utf16_bytes(text);
}

std::vector<std::uint8_t> multi_string_data(const std::vector<std::string>& values) {
  std::u16string text;
  for (const auto& v : values) {
    text += wavert::host::utf8_to_utf16(v);
    text.push_back(u'\0');
  }
  text.push_back(u'\0');
  return utf16_bytes(text);
}

std::u16string utf16_of(const std::vector<std::uint8_t>& data) {
  std::u16string text;
  for (size_t i = 0; i + 1 < data.size(); i += 2) text.push_back(char16_t(data[i] | (data[i + 1] << 8)));
  return text;
}

// ---- .reg reader -------------------------------------------------------------------------------

struct Parsed {  // one operation of a file, applied only when the whole file parsed
  enum Kind { CreateKey, DeleteKey, SetValue, DeleteValue } kind;
  std::vector<std::u16string> key;
  std::u16string name;
  ULONG type = 0;
  std::vector<std::uint8_t> data;
};

class Reader {
 public:
  Reader(std::string_view source, std::string_view name) : source_(source), name_(name) {}

  std::optional<LoadError> parse(std::vector<Parsed>& ops) {
    std::vector<std::string> lines;
    {
      std::string line;
      for (char c : source_) {
        if (c == '\n') {
          lines.push_back(line);
          line.clear();
        } else if (c != '\r') {
          line += c;
        }
      }
      if (!line.empty()) lines.push_back(line);
    }
    bool seen_content = false;
    bool have_key = false;
    std::vector<std::u16string> key;
    for (size_t i = 0; i < lines.size(); ++i) {
      line_number_ = unsigned(i + 1);
      std::string text = trim(lines[i]);
      // A trailing backslash continues hex data on the next line, as regedit writes it.
      while (!text.empty() && text.back() == '\\' && text.find('=') != std::string::npos && i + 1 < lines.size() &&
             !in_string_at_end(text)) {
        text.pop_back();
        text += trim(lines[++i]);
      }
      if (text.empty() || text[0] == ';') continue;
      if (!seen_content) {
        seen_content = true;
        if (text == "Windows Registry Editor Version 5.00" || text == "REGEDIT4") continue;
      }
      if (text[0] == '[') {
        const size_t close = text.find(']');
        if (close == std::string::npos) return error("expected ']' to close the key name");
        if (!only_comment(text.substr(close + 1))) return error("expected nothing but a ; comment after ']'");
        std::string path = text.substr(1, close - 1);
        const bool remove = !path.empty() && path[0] == '-';
        if (remove) path.erase(0, 1);
        std::vector<std::u16string> components;
        if (!detail::reg::host_path_components(path, components))
          return error("expected a key path starting with HKEY_LOCAL_MACHINE, HKLM, HKEY_USERS, HKU, "
                       "HKEY_CURRENT_USER, HKCU or \\Registry, not '" + path + "'");
        if (components.empty()) return error("expected a key below the root, not the root itself");
        ops.push_back(Parsed{remove ? Parsed::DeleteKey : Parsed::CreateKey, components, {}, 0, {}});
        have_key = !remove;
        key = components;
        continue;
      }
      if (text[0] == '"' || text[0] == '@') {
        if (!have_key) return error("expected a [key] header before the first value");
        Parsed op{Parsed::SetValue, key, {}, 0, {}};
        size_t pos = 0;
        if (text[0] == '@') {
          pos = 1;
        } else {
          std::string name;
          if (!read_quoted(text, pos, name)) return error("expected a closing '\"' after the value name");
          op.name = wavert::host::utf8_to_utf16(name);
        }
        skip_space(text, pos);
        if (pos >= text.size() || text[pos] != '=') return error("expected '=' after the value name");
        ++pos;
        skip_space(text, pos);
        if (auto e = read_data(text, pos, op)) return e;
        skip_space(text, pos);
        if (!only_comment(text.substr(pos))) return error("expected the end of the line after the value data");
        ops.push_back(std::move(op));
        continue;
      }
      return error("expected a [key] header, a \"name\"=value or @=value line, or a ; comment");
    }
    return std::nullopt;
  }

 private:
  static std::string trim(const std::string& s) {
    size_t b = 0, e = s.size();
    while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
    while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
    return s.substr(b, e - b);
  }
  static void skip_space(const std::string& s, size_t& pos) {
    while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) ++pos;
  }
  static bool only_comment(const std::string& rest) {
    const std::string t = trim(rest);
    return t.empty() || t[0] == ';';
  }
  // True when the line's final backslash sits inside a quoted string (a path like "C:\").
  static bool in_string_at_end(const std::string& s) {
    bool quoted = false;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '"') quoted = !quoted;
      else if (quoted && s[i] == '\\') ++i;
    }
    return quoted;
  }
  // Reads "..." at pos with \\ and \" escapes.
  static bool read_quoted(const std::string& s, size_t& pos, std::string& out) {
    if (pos >= s.size() || s[pos] != '"') return false;
    ++pos;
    while (pos < s.size()) {
      const char c = s[pos++];
      if (c == '"') return true;
      if (c == '\\' && pos < s.size()) {
        out += s[pos++];
        continue;
      }
      out += c;
    }
    return false;
  }
  static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  static bool starts_with(const std::string& s, size_t pos, const char* prefix) {
    return s.compare(pos, std::strlen(prefix), prefix) == 0;
  }

  std::optional<LoadError> read_hex_number(const std::string& s, size_t& pos, unsigned max_digits,
                                           std::uint64_t& value, const char* what) {
    value = 0;
    unsigned digits = 0;
    while (pos < s.size() && hex_digit(s[pos]) >= 0) {
      if (++digits > max_digits) return error(std::string("expected at most ") + std::to_string(max_digits) +
                                              " hex digits for " + what);
      value = value * 16 + unsigned(hex_digit(s[pos++]));
    }
    if (digits == 0) return error(std::string("expected hex digits for ") + what);
    return std::nullopt;
  }

  std::optional<LoadError> read_hex_list(const std::string& s, size_t& pos, std::vector<std::uint8_t>& bytes) {
    skip_space(s, pos);
    while (pos < s.size() && s[pos] != ';') {
      const int hi = hex_digit(s[pos]);
      if (hi < 0) return error("expected hex byte pairs separated by commas, like 01,ff");
      int value = hi;
      ++pos;
      if (pos < s.size() && hex_digit(s[pos]) >= 0) value = value * 16 + hex_digit(s[pos++]);
      bytes.push_back(std::uint8_t(value));
      skip_space(s, pos);
      if (pos < s.size() && s[pos] == ',') {
        ++pos;
        skip_space(s, pos);
        if (pos >= s.size() || s[pos] == ';') return error("expected another hex byte after ','");
      } else {
        break;
      }
    }
    return std::nullopt;
  }

  std::optional<LoadError> read_data(const std::string& s, size_t& pos, Parsed& op) {
    if (pos < s.size() && s[pos] == '"') {
      std::string text;
      if (!read_quoted(s, pos, text)) return error("expected a closing '\"' after the string data");
      op.type = REG_SZ;
      op.data = string_data(text);
      return std::nullopt;
    }
    if (pos < s.size() && s[pos] == '-') {
      ++pos;
      op.kind = Parsed::DeleteValue;
      return std::nullopt;
    }
    std::uint64_t number = 0;
    if (starts_with(s, pos, "dword:")) {
      pos += 6;
      if (auto e = read_hex_number(s, pos, 8, number, "a dword")) return e;
      op.type = REG_DWORD;
      for (int i = 0; i < 4; ++i) op.data.push_back(std::uint8_t(number >> (8 * i)));
      return std::nullopt;
    }
    if (starts_with(s, pos, "qword:")) {  // wavert extension: regedit writes hex(b):
      pos += 6;
      if (auto e = read_hex_number(s, pos, 16, number, "a qword")) return e;
      op.type = REG_QWORD;
      for (int i = 0; i < 8; ++i) op.data.push_back(std::uint8_t(number >> (8 * i)));
      return std::nullopt;
    }
    if (starts_with(s, pos, "multi_sz:") || starts_with(s, pos, "expand_sz:")) {  // wavert extensions
      const bool multi = s[pos] == 'm';
      pos += multi ? 9 : 10;
      std::vector<std::string> strings;
      skip_space(s, pos);
      while (pos < s.size() && s[pos] == '"') {
        std::string text;
        if (!read_quoted(s, pos, text)) return error("expected a closing '\"' in the string list");
        strings.push_back(text);
        skip_space(s, pos);
        if (pos < s.size() && s[pos] == ',') {
          ++pos;
          skip_space(s, pos);
        } else {
          break;
        }
      }
      if (multi) {
        op.type = REG_MULTI_SZ;
        op.data = multi_string_data(strings);
      } else {
        if (strings.size() != 1) return error("expected exactly one quoted string after expand_sz:");
        op.type = REG_EXPAND_SZ;
        op.data = string_data(strings[0]);
      }
      return std::nullopt;
    }
    if (starts_with(s, pos, "hex:")) {
      pos += 4;
      op.type = REG_BINARY;
      return read_hex_list(s, pos, op.data);
    }
    if (starts_with(s, pos, "hex(")) {
      pos += 4;
      if (auto e = read_hex_number(s, pos, 8, number, "the value type in hex(...)")) return e;
      if (s.compare(pos, 2, "):") != 0) return error("expected '):' after hex(type");
      pos += 2;
      op.type = ULONG(number);
      if (auto e = read_hex_list(s, pos, op.data)) return e;
      if (op.type == REG_QWORD && op.data.size() != 8) return error("expected 8 bytes for hex(b), a REG_QWORD");
      if (op.type == REG_DWORD && op.data.size() != 4) return error("expected 4 bytes for hex(4), a REG_DWORD");
      if ((op.type == REG_SZ || op.type == REG_EXPAND_SZ || op.type == REG_MULTI_SZ) && op.data.size() % 2 != 0)
        return error("expected an even number of bytes for UTF-16 string data");
      return std::nullopt;
    }
    return error("expected value data: \"string\", dword:, qword:, hex:, hex(type):, multi_sz:, expand_sz: or -");
  }

  LoadError error(std::string message) const { return LoadError{name_, line_number_, std::move(message)}; }

  std::string_view source_;
  std::string name_;
  unsigned line_number_ = 0;
};

// regedit writes .reg files as UTF-16LE with a byte order mark; accept that and UTF-8.
std::string to_utf8(const std::string& bytes) {
  if (bytes.size() >= 2 && std::uint8_t(bytes[0]) == 0xFF && std::uint8_t(bytes[1]) == 0xFE) {
    std::u16string text;
    for (size_t i = 2; i + 1 < bytes.size(); i += 2)
      text.push_back(char16_t(std::uint8_t(bytes[i]) | (std::uint8_t(bytes[i + 1]) << 8)));
    return wavert::host::utf16_to_utf8(text);
  }
  if (bytes.size() >= 3 && bytes.compare(0, 3, "\xEF\xBB\xBF") == 0) return bytes.substr(3);
  return bytes;
}

// ---- .reg writer -------------------------------------------------------------------------------

std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string hex_list(const std::vector<std::uint8_t>& data) {
  std::string out;
  char byte[4];
  for (size_t i = 0; i < data.size(); ++i) {
    std::snprintf(byte, sizeof byte, "%02x", data[i]);
    if (i) out += ',';
    out += byte;
  }
  return out;
}

std::string data_text(const detail::reg::Value& v) {
  char text[64];
  if (v.type == REG_DWORD && v.data.size() == 4) {
    std::uint32_t n = 0;
    for (int i = 3; i >= 0; --i) n = (n << 8) | v.data[size_t(i)];
    std::snprintf(text, sizeof text, "dword:%08x", n);
    return text;
  }
  if (v.type == REG_SZ && v.data.size() >= 2 && v.data.size() % 2 == 0) {
    const std::u16string s = utf16_of(v.data);
    // Only a single terminated string without inner nulls can be written as "text".
    if (s.back() == u'\0' && s.find(u'\0') == s.size() - 1) return quoted(wavert::host::utf16_to_utf8(s.data(), s.size() - 1));
  }
  if (v.type == REG_BINARY) return "hex:" + hex_list(v.data);
  std::snprintf(text, sizeof text, "hex(%x):", v.type);
  return text + hex_list(v.data);
}

std::string host_path_of(const Key& key) {
  // \REGISTRY\Machine\X -> HKEY_LOCAL_MACHINE\X; \REGISTRY\User\X -> HKEY_USERS\X.
  std::vector<std::u16string> parts = detail::reg::split(key.path);
  std::string out;
  size_t first = 2;
  if (parts.size() >= 2 && detail::reg::equal_ci(parts[1], u"Machine")) out = "HKEY_LOCAL_MACHINE";
  else if (parts.size() >= 2 && detail::reg::equal_ci(parts[1], u"User")) out = "HKEY_USERS";
  else { out = "\\Registry"; first = 1; }
  for (size_t i = first; i < parts.size(); ++i) out += "\\" + wavert::host::utf16_to_utf8(parts[i]);
  return out;
}

void dump_key(const Key& key, int depth, std::string& out) {
  // Below \REGISTRY\Machine and \REGISTRY\User; leaves are written even when empty so the tree
  // round-trips.
  if (depth >= 2 && (!key.values.empty() || key.subkeys.empty())) {
    out += "[" + host_path_of(key) + "]\n";
    for (const auto& v : key.values) {
      out += v.name.empty() ? std::string("@") : quoted(wavert::host::utf16_to_utf8(v.name));
      out += "=" + data_text(v) + "\n";
    }
    out += "\n";
  }
  for (const auto& child : key.subkeys) dump_key(*child, depth + 1, out);
}

} // namespace

std::optional<std::uint32_t> Value::as_dword() const {
  if (type != 4 || data.size() != 4) return std::nullopt;
  return std::uint32_t(data[0]) | std::uint32_t(data[1]) << 8 | std::uint32_t(data[2]) << 16 |
         std::uint32_t(data[3]) << 24;
}

std::optional<std::uint64_t> Value::as_qword() const {
  if (type != 11 || data.size() != 8) return std::nullopt;
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | data[size_t(i)];
  return n;
}

std::optional<std::string> Value::as_string() const {
  if ((type != 1 && type != 2) || data.size() % 2 != 0) return std::nullopt;
  std::u16string s = utf16_of(data);
  while (!s.empty() && s.back() == u'\0') s.pop_back();
  return wavert::host::utf16_to_utf8(s);
}

std::optional<std::vector<std::string>> Value::as_multi_string() const {
  if (type != 7 || data.size() % 2 != 0) return std::nullopt;
  std::vector<std::string> out;
  const std::u16string s = utf16_of(data);
  size_t start = 0;
  while (start < s.size()) {
    const size_t end = s.find(u'\0', start);
    const size_t stop = end == std::u16string::npos ? s.size() : end;
    if (stop == start) break;  // the empty string that ends the list
    out.push_back(wavert::host::utf16_to_utf8(s.data() + start, stop - start));
    start = stop + 1;
  }
  return out;
}

std::string LoadError::text() const {
  return file + (line ? ":" + std::to_string(line) : std::string()) + ": " + message;
}

std::optional<LoadError> load_text(std::string_view text, std::string_view source_name) {
  const std::string utf8 = to_utf8(std::string(text));
  std::vector<Parsed> ops;
  Reader reader(utf8, source_name);
  if (auto e = reader.parse(ops)) return e;
  std::lock_guard lock(detail::reg::store_mutex());
  auto root = detail::reg::root();
  for (auto& op : ops) {
    switch (op.kind) {
      case Parsed::CreateKey: detail::reg::create(root, op.key); break;
      case Parsed::DeleteKey: {
        std::vector<std::u16string> parent(op.key.begin(), op.key.end() - 1);
        if (auto p = detail::reg::find(root, parent)) {
          auto& subs = p->subkeys;
          for (auto it = subs.begin(); it != subs.end(); ++it)
            if (detail::reg::equal_ci((*it)->name, op.key.back())) { subs.erase(it); break; }
        }
        break;
      }
      case Parsed::SetValue: detail::reg::create(root, op.key)->set(op.name, op.type, std::move(op.data)); break;
      case Parsed::DeleteValue:
        if (auto k = detail::reg::find(root, op.key)) k->erase_value(op.name);
        break;
    }
  }
  return std::nullopt;
}

std::optional<LoadError> load_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return LoadError{path, 0, "cannot open the registry file for reading"};
  std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  return load_text(bytes, path);
}

void create_key(std::string_view key_path) {
  auto components = components_or_throw(key_path);
  std::lock_guard lock(detail::reg::store_mutex());
  detail::reg::create(detail::reg::root(), components);
}

void set_value(std::string_view key_path, std::string_view value_name, std::uint32_t type,
               std::vector<std::uint8_t> data) {
  auto components = components_or_throw(key_path);
  std::lock_guard lock(detail::reg::store_mutex());
  detail::reg::create(detail::reg::root(), components)->set(wavert::host::utf8_to_utf16(value_name), type, std::move(data));
}

void set_dword(std::string_view k, std::string_view n, std::uint32_t value) {
  set_value(k, n, REG_DWORD, {std::uint8_t(value), std::uint8_t(value >> 8), std::uint8_t(value >> 16),
                              std::uint8_t(value >> 24)});
}

void set_qword(std::string_view k, std::string_view n, std::uint64_t value) {
  std::vector<std::uint8_t> data;
  for (int i = 0; i < 8; ++i) data.push_back(std::uint8_t(value >> (8 * i)));
  set_value(k, n, REG_QWORD, std::move(data));
}

void set_string(std::string_view k, std::string_view n, std::string_view value) { set_value(k, n, REG_SZ, string_data(value)); }
void set_expand_string(std::string_view k, std::string_view n, std::string_view value) {
  set_value(k, n, REG_EXPAND_SZ, string_data(value));
}
void set_multi_string(std::string_view k, std::string_view n, const std::vector<std::string>& values) {
  set_value(k, n, REG_MULTI_SZ, multi_string_data(values));
}
void set_binary(std::string_view k, std::string_view n, std::vector<std::uint8_t> value) {
  set_value(k, n, REG_BINARY, std::move(value));
}

std::optional<Value> get_value(std::string_view key_path, std::string_view value_name) {
  auto components = components_or_throw(key_path);
  std::lock_guard lock(detail::reg::store_mutex());
  auto key = detail::reg::find(detail::reg::root(), components);
  if (!key) return std::nullopt;
  const detail::reg::Value* v = key->value(wavert::host::utf8_to_utf16(value_name));
  if (v == nullptr) return std::nullopt;
  return Value{v->type, v->data};
}

bool key_exists(std::string_view key_path) {
  auto components = components_or_throw(key_path);
  std::lock_guard lock(detail::reg::store_mutex());
  return detail::reg::find(detail::reg::root(), components) != nullptr;
}

bool delete_value(std::string_view key_path, std::string_view value_name) {
  auto components = components_or_throw(key_path);
  std::lock_guard lock(detail::reg::store_mutex());
  auto key = detail::reg::find(detail::reg::root(), components);
  return key && key->erase_value(wavert::host::utf8_to_utf16(value_name));
}

bool delete_key(std::string_view key_path) {
  auto components = components_or_throw(key_path);
  if (components.empty()) return false;
  std::lock_guard lock(detail::reg::store_mutex());
  std::vector<std::u16string> parent(components.begin(), components.end() - 1);
  auto p = detail::reg::find(detail::reg::root(), parent);
  if (!p) return false;
  for (auto it = p->subkeys.begin(); it != p->subkeys.end(); ++it) {
    if (detail::reg::equal_ci((*it)->name, components.back())) {
      p->subkeys.erase(it);
      return true;
    }
  }
  return false;
}

void clear() {
  std::lock_guard lock(detail::reg::store_mutex());
  detail::reg::reset();
}

std::string dump() {
  std::string out = "Windows Registry Editor Version 5.00\n\n";
  std::lock_guard lock(detail::reg::store_mutex());
  dump_key(*detail::reg::root(), 0, out);
  return out;
}

} // namespace wavert::host::registry

namespace wavert::host::detail {

// The session boots the I/O objects with the registry: both are empty at boot and checked for
// leaks (open handles, devices) at shutdown, handles first.
void registry_boot(const KernelConfig& config) {
  io_objects_boot();
  registry::clear();
  if (!config.registry_file.empty()) {
    if (auto error = registry::load_file(config.registry_file)) {
      // A configuration the user asked for and cannot get must stop the run, not be ignored:
      // Fatal mode aborts here; Record mode records it and boots with an empty store.
      verifier_report(Rule::HostContract, WAVERT_HERE, "registry file %s", error->text().c_str());
    }
  }
}

void registry_shutdown() {
  handles_shutdown();
  io_objects_shutdown();
  registry::clear();
}

} // namespace wavert::host::detail
