// The kernel's file routines over host files: ZwCreateFile, ZwReadFile, ZwWriteFile,
// ZwQueryInformationFile; handles close with ZwClose through the kernel handle table, and a
// handle left open at shutdown is a Rule::ObjectLeak report (handles.hpp). Name mapping and
// statuses: docs/sinks-and-sources.md.
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "subsystems.hpp"
#include "wavert/host/utf.hpp"
#include "wavert/host/verifier.hpp"
#include "wavert/nt/irql.h"
#include "zw_file_internal.hpp"

namespace wavert::host::detail {
namespace {

bool require_passive(const char* routine, const WAVERT_CALL_SITE& site) {
  if (current_irql() <= PASSIVE_LEVEL) return true;
  verifier_report(Rule::IrqlTooHigh, site, "%s at IRQL %u: file routines run at PASSIVE_LEVEL only", routine,
                  unsigned{current_irql()});
  return false;
}

struct HostFile final : FileObject {
  int fd = -1;
  std::string path;
  ~HostFile() override {
    if (fd >= 0) ::close(fd);
  }
  const char* kind() const override { return "file"; }
  std::string describe() const override { return path; }
  bool seekable() const override { return true; }

  NTSTATUS read_at(std::int64_t offset, void* buffer, ULONG length, ULONG* done) override {
    *done = 0;
    while (*done < length) {
      const ssize_t n = ::pread(fd, static_cast<char*>(buffer) + *done, length - *done, offset + *done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return STATUS_IO_DEVICE_ERROR;
      }
      if (n == 0) break;
      *done += ULONG(n);
    }
    return STATUS_SUCCESS;
  }
  NTSTATUS write_at(std::int64_t offset, const void* buffer, ULONG length, ULONG* done) override {
    *done = 0;
    while (*done < length) {
      const ssize_t n = ::pwrite(fd, static_cast<const char*>(buffer) + *done, length - *done, offset + *done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno == ENOSPC || errno == EDQUOT || errno == EFBIG ? STATUS_DISK_FULL : STATUS_IO_DEVICE_ERROR;
      }
      *done += ULONG(n);
    }
    return STATUS_SUCCESS;
  }
  std::int64_t size_bytes() override {
    struct stat st{};
    return ::fstat(fd, &st) == 0 ? std::int64_t(st.st_size) : 0;
  }
  std::int64_t allocated_bytes() override {
    struct stat st{};
    return ::fstat(fd, &st) == 0 ? std::int64_t(st.st_blocks) * 512 : 0;
  }
};

// Generic rights mapped as the file system's generic mapping does.
ACCESS_MASK granted_access(ACCESS_MASK desired) {
  ACCESS_MASK access = desired & ~(GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL | MAXIMUM_ALLOWED);
  if (desired & GENERIC_READ) access |= FILE_GENERIC_READ;
  if (desired & GENERIC_WRITE) access |= FILE_GENERIC_WRITE;
  if (desired & GENERIC_EXECUTE) access |= FILE_GENERIC_EXECUTE;
  if (desired & (GENERIC_ALL | MAXIMUM_ALLOWED)) access |= FILE_ALL_ACCESS;
  return access;
}

bool has_prefix_ci(const std::u16string& text, std::u16string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (RtlUpcaseUnicodeChar(WCHAR(text[i])) != RtlUpcaseUnicodeChar(WCHAR(prefix[i]))) return false;
  }
  return true;
}

enum class Namespace { HostFile, Alsa };

// Maps an object name to a host path (or an ALSA device name). The status for names the host
// has no object for.
NTSTATUS map_name(const std::u16string& name, Namespace* space, std::string* target) {
  static constexpr std::u16string_view kDosPrefixes[] = {u"\\??\\", u"\\DosDevices\\", u"\\GLOBAL??\\"};
  static constexpr std::u16string_view kAlsaPrefix = u"\\Device\\WavertAlsa\\";
  if (has_prefix_ci(name, kAlsaPrefix)) {
    if (name.size() == kAlsaPrefix.size()) return STATUS_OBJECT_NAME_INVALID;
    *space = Namespace::Alsa;
    *target = utf16_to_utf8(std::u16string_view(name).substr(kAlsaPrefix.size()));
    return STATUS_SUCCESS;
  }
  for (std::u16string_view prefix : kDosPrefixes) {
    if (!has_prefix_ci(name, prefix)) continue;
    std::u16string rest = name.substr(prefix.size());
    for (auto& c : rest) {
      if (c == u'\\') c = u'/';
    }
    if (rest.empty() || rest.front() != u'/') return STATUS_OBJECT_PATH_NOT_FOUND;  // C:\... has no host drive
    if (rest.find(u'\0') != std::u16string::npos) return STATUS_OBJECT_NAME_INVALID;
    *space = Namespace::HostFile;
    *target = utf16_to_utf8(rest);
    return STATUS_SUCCESS;
  }
  if (name.empty() || name.front() != u'\\') return STATUS_OBJECT_PATH_SYNTAX_BAD;
  return STATUS_OBJECT_PATH_NOT_FOUND;
}

NTSTATUS status_from_errno(int error, const std::string& path) {
  switch (error) {
    case ENOENT: {
      // Which part is missing: the file itself, or a directory on the way.
      const size_t slash = path.find_last_of('/');
      const std::string parent = slash == 0 ? "/" : path.substr(0, slash);
      struct stat st{};
      if (::stat(parent.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return STATUS_OBJECT_NAME_NOT_FOUND;
      return STATUS_OBJECT_PATH_NOT_FOUND;
    }
    case ENOTDIR: return STATUS_OBJECT_PATH_NOT_FOUND;
    case EACCES:
    case EPERM:
    case EROFS: return STATUS_ACCESS_DENIED;
    case EISDIR: return STATUS_FILE_IS_A_DIRECTORY;
    case EEXIST: return STATUS_OBJECT_NAME_COLLISION;
    case ENAMETOOLONG: return STATUS_OBJECT_NAME_INVALID;
    case ENOSPC:
    case EDQUOT: return STATUS_DISK_FULL;
    case EMFILE:
    case ENFILE:
    case ENOMEM: return STATUS_INSUFFICIENT_RESOURCES;
    default: return STATUS_IO_DEVICE_ERROR;
  }
}

NTSTATUS open_host_file(const std::string& path, ACCESS_MASK access, ULONG disposition, ULONG options,
                        std::shared_ptr<FileObject>* out, ULONG_PTR* information) {
  struct stat st{};
  const bool exists = ::stat(path.c_str(), &st) == 0;
  if (exists && S_ISDIR(st.st_mode)) return STATUS_FILE_IS_A_DIRECTORY;
  (void)options;
  const bool reads = access & (FILE_READ_DATA);
  const bool writes = access & (FILE_WRITE_DATA | FILE_APPEND_DATA);
  int flags = O_CLOEXEC | (reads && writes ? O_RDWR : writes ? O_WRONLY : O_RDONLY);
  switch (disposition) {
    case FILE_SUPERSEDE:
      flags |= O_CREAT | O_TRUNC;
      *information = exists ? FILE_SUPERSEDED : FILE_CREATED;
      break;
    case FILE_OPEN:
      if (!exists) return status_from_errno(ENOENT, path);
      *information = FILE_OPENED;
      break;
    case FILE_CREATE:
      if (exists) {
        *information = FILE_EXISTS;
        return STATUS_OBJECT_NAME_COLLISION;
      }
      flags |= O_CREAT | O_EXCL;
      *information = FILE_CREATED;
      break;
    case FILE_OPEN_IF:
      flags |= O_CREAT;
      *information = exists ? FILE_OPENED : FILE_CREATED;
      break;
    case FILE_OVERWRITE:
      if (!exists) return status_from_errno(ENOENT, path);
      flags |= O_TRUNC;
      *information = FILE_OVERWRITTEN;
      break;
    case FILE_OVERWRITE_IF:
      flags |= O_CREAT | O_TRUNC;
      *information = exists ? FILE_OVERWRITTEN : FILE_CREATED;
      break;
    default: return STATUS_INVALID_PARAMETER;
  }
  // Truncating needs write access on Linux; Windows' overwrite dispositions do not ask for it.
  if ((flags & O_TRUNC) && !writes) flags = (flags & ~(O_RDONLY | O_WRONLY | O_RDWR)) | O_RDWR;
  const int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) return status_from_errno(errno, path);
  auto file = std::make_shared<HostFile>();
  file->fd = fd;
  file->path = path;
  *out = std::move(file);
  return STATUS_SUCCESS;
}

std::shared_ptr<FileObject> lookup_file(HANDLE handle, NTSTATUS* status) {
  auto object = handle_lookup(handle);
  if (!object) {
    *status = STATUS_INVALID_HANDLE;
    return nullptr;
  }
  auto file = std::dynamic_pointer_cast<FileObject>(object);
  *status = file ? STATUS_SUCCESS : STATUS_OBJECT_TYPE_MISMATCH;
  return file;
}

bool io_status_ok(const char* routine, PIO_STATUS_BLOCK iosb, const WAVERT_CALL_SITE& site) {
  if (iosb != nullptr) return true;
  verifier_report(Rule::BadArgument, site, "%s: IoStatusBlock is NULL; the I/O manager writes the result there",
                  routine);
  return false;
}

// Where a read or write starts, from ByteOffset and the handle's mode (the rules of
// ZwReadFile/ZwWriteFile: an explicit offset, the file position of a synchronous handle, or the
// end of the file for FILE_WRITE_TO_END_OF_FILE).
NTSTATUS resolve_offset(FileObject& file, PLARGE_INTEGER byte_offset, bool write, std::int64_t* offset) {
  const bool use_position = byte_offset == nullptr || (byte_offset->HighPart == -1 &&
                                                       byte_offset->LowPart == FILE_USE_FILE_POINTER_POSITION);
  if (!file.seekable()) {
    *offset = 0;
    return STATUS_SUCCESS;
  }
  if (use_position) {
    if (!file.synchronous) return STATUS_INVALID_PARAMETER;
    *offset = file.position;
    return STATUS_SUCCESS;
  }
  if (write && byte_offset->HighPart == -1 && byte_offset->LowPart == FILE_WRITE_TO_END_OF_FILE) {
    *offset = file.size_bytes();
    return STATUS_SUCCESS;
  }
  if (byte_offset->QuadPart < 0) return STATUS_INVALID_PARAMETER;
  *offset = byte_offset->QuadPart;
  return STATUS_SUCCESS;
}

NTSTATUS transfer(const char* routine, bool write, HANDLE handle, HANDLE event, PIO_APC_ROUTINE apc,
                  PIO_STATUS_BLOCK iosb, PVOID buffer, ULONG length, PLARGE_INTEGER byte_offset, PULONG key,
                  const WAVERT_CALL_SITE& site) {
  if (!require_passive(routine, site)) return STATUS_INVALID_DEVICE_STATE;
  if (!io_status_ok(routine, iosb, site)) return STATUS_INVALID_PARAMETER;
  iosb->Information = 0;
  NTSTATUS status = STATUS_SUCCESS;
  auto file = lookup_file(handle, &status);
  if (!file) return iosb->Status = status;
  // The host completes every request before returning; there is nothing to signal later.
  if (event != nullptr || apc != nullptr || key != nullptr) return iosb->Status = STATUS_NOT_SUPPORTED;
  if (buffer == nullptr && length > 0) return iosb->Status = STATUS_INVALID_PARAMETER;
  const ACCESS_MASK needed = write ? (FILE_WRITE_DATA | FILE_APPEND_DATA) : FILE_READ_DATA;
  if ((file->access & needed) == 0) return iosb->Status = STATUS_ACCESS_DENIED;
  std::lock_guard lock(file->mutex);
  std::int64_t offset = 0;
  status = resolve_offset(*file, byte_offset, write, &offset);
  if (!NT_SUCCESS(status)) return iosb->Status = status;
  if (!write && file->seekable() && offset >= file->size_bytes() && length > 0) {
    return iosb->Status = STATUS_END_OF_FILE;
  }
  ULONG done = 0;
  status = write ? file->write_at(offset, buffer, length, &done) : file->read_at(offset, buffer, length, &done);
  if (file->synchronous && file->seekable()) file->position = offset + done;
  iosb->Information = done;
  return iosb->Status = status;
}

}  // namespace
}  // namespace wavert::host::detail

using namespace wavert::host;
using namespace wavert::host::detail;

extern "C" {

NTSTATUS ZwCreateFile(PHANDLE FileHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                      PIO_STATUS_BLOCK IoStatusBlock, PLARGE_INTEGER AllocationSize, ULONG FileAttributes,
                      ULONG ShareAccess, ULONG CreateDisposition, ULONG CreateOptions, PVOID EaBuffer,
                      ULONG EaLength, WAVERT_CALL_SITE CallSite) {
  if (!require_passive("ZwCreateFile", CallSite)) return STATUS_INVALID_DEVICE_STATE;
  if (FileHandle == nullptr || !io_status_ok("ZwCreateFile", IoStatusBlock, CallSite)) {
    if (FileHandle == nullptr) {
      verifier_report(Rule::BadArgument, CallSite, "ZwCreateFile: FileHandle is NULL");
    }
    return STATUS_INVALID_PARAMETER;
  }
  *FileHandle = nullptr;
  IoStatusBlock->Information = 0;
  auto fail = [&](NTSTATUS status) { return IoStatusBlock->Status = status; };
  (void)AllocationSize;
  (void)FileAttributes;
  if (ObjectAttributes == nullptr || ObjectAttributes->Length != sizeof(OBJECT_ATTRIBUTES) ||
      (ObjectAttributes->Attributes & ~OBJ_VALID_ATTRIBUTES) != 0) {
    return fail(STATUS_INVALID_PARAMETER);
  }
  // Rules of NtCreateFile's parameter validation: a known disposition, option bits in range, at
  // most one synchronous mode and only with SYNCHRONIZE access, not both directory and
  // non-directory, share bits in range.
  const ACCESS_MASK access = granted_access(DesiredAccess);
  const ULONG sync_bits = CreateOptions & (FILE_SYNCHRONOUS_IO_ALERT | FILE_SYNCHRONOUS_IO_NONALERT);
  if (CreateDisposition > FILE_MAXIMUM_DISPOSITION || (CreateOptions & ~FILE_VALID_OPTION_FLAGS) != 0 ||
      (ShareAccess & ~FILE_SHARE_VALID_FLAGS) != 0 ||
      sync_bits == (FILE_SYNCHRONOUS_IO_ALERT | FILE_SYNCHRONOUS_IO_NONALERT) ||
      (sync_bits != 0 && (access & SYNCHRONIZE) == 0) ||
      (CreateOptions & (FILE_DIRECTORY_FILE | FILE_NON_DIRECTORY_FILE)) ==
          (FILE_DIRECTORY_FILE | FILE_NON_DIRECTORY_FILE) ||
      (EaBuffer == nullptr && EaLength != 0)) {
    return fail(STATUS_INVALID_PARAMETER);
  }
  // Directories and relative opens are beyond what a driver's file I/O needs here.
  if ((CreateOptions & FILE_DIRECTORY_FILE) != 0 || ObjectAttributes->RootDirectory != nullptr) {
    return fail(STATUS_NOT_SUPPORTED);
  }
  PUNICODE_STRING name = ObjectAttributes->ObjectName;
  if (name == nullptr || name->Length == 0 || name->Length % sizeof(WCHAR) != 0 || name->Buffer == nullptr ||
      name->Length > name->MaximumLength) {
    return fail(STATUS_OBJECT_NAME_INVALID);
  }
  const std::u16string text(reinterpret_cast<const char16_t*>(name->Buffer), name->Length / sizeof(WCHAR));
  Namespace space = Namespace::HostFile;
  std::string target;
  NTSTATUS status = map_name(text, &space, &target);
  if (!NT_SUCCESS(status)) return fail(status);
  std::shared_ptr<FileObject> file;
  ULONG_PTR information = FILE_OPENED;
  switch (space) {
    case Namespace::HostFile:
      status = open_host_file(target, access, CreateDisposition, CreateOptions, &file, &information);
      break;
    case Namespace::Alsa:
      status = open_alsa_pcm(target, access, EaBuffer, EaLength, &file);
      break;
  }
  IoStatusBlock->Information = information;
  if (!NT_SUCCESS(status)) {
    if (information != FILE_EXISTS) IoStatusBlock->Information = 0;
    return fail(status);
  }
  file->access = access;
  file->synchronous = sync_bits != 0;
  *FileHandle = handle_insert(std::move(file));
  return IoStatusBlock->Status = STATUS_SUCCESS;
}

NTSTATUS ZwReadFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext,
                    PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer, ULONG Length, PLARGE_INTEGER ByteOffset,
                    PULONG Key, WAVERT_CALL_SITE CallSite) {
  (void)ApcContext;
  return transfer("ZwReadFile", false, FileHandle, Event, ApcRoutine, IoStatusBlock, Buffer, Length, ByteOffset, Key,
                  CallSite);
}

NTSTATUS ZwWriteFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext,
                     PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer, ULONG Length, PLARGE_INTEGER ByteOffset,
                     PULONG Key, WAVERT_CALL_SITE CallSite) {
  (void)ApcContext;
  return transfer("ZwWriteFile", true, FileHandle, Event, ApcRoutine, IoStatusBlock, Buffer, Length, ByteOffset, Key,
                  CallSite);
}

NTSTATUS ZwQueryInformationFile(HANDLE FileHandle, PIO_STATUS_BLOCK IoStatusBlock, PVOID FileInformation,
                                ULONG Length, FILE_INFORMATION_CLASS FileInformationClass,
                                WAVERT_CALL_SITE CallSite) {
  if (!require_passive("ZwQueryInformationFile", CallSite)) return STATUS_INVALID_DEVICE_STATE;
  if (!io_status_ok("ZwQueryInformationFile", IoStatusBlock, CallSite)) return STATUS_INVALID_PARAMETER;
  IoStatusBlock->Information = 0;
  NTSTATUS status = STATUS_SUCCESS;
  auto file = lookup_file(FileHandle, &status);
  if (!file) return IoStatusBlock->Status = status;
  if (FileInformation == nullptr) return IoStatusBlock->Status = STATUS_INVALID_PARAMETER;
  std::lock_guard lock(file->mutex);
  switch (FileInformationClass) {
    case FileStandardInformation: {
      if (Length < sizeof(FILE_STANDARD_INFORMATION)) return IoStatusBlock->Status = STATUS_INFO_LENGTH_MISMATCH;
      FILE_STANDARD_INFORMATION info{};
      const std::int64_t size = file->seekable() ? file->size_bytes() : 0;
      info.EndOfFile.QuadPart = size;
      info.AllocationSize.QuadPart = file->seekable() ? file->allocated_bytes() : 0;
      info.NumberOfLinks = 1;
      std::memcpy(FileInformation, &info, sizeof info);
      IoStatusBlock->Information = sizeof info;
      return IoStatusBlock->Status = STATUS_SUCCESS;
    }
    case FilePositionInformation: {
      if (Length < sizeof(FILE_POSITION_INFORMATION)) return IoStatusBlock->Status = STATUS_INFO_LENGTH_MISMATCH;
      FILE_POSITION_INFORMATION info{};
      info.CurrentByteOffset.QuadPart = file->position;
      std::memcpy(FileInformation, &info, sizeof info);
      IoStatusBlock->Information = sizeof info;
      return IoStatusBlock->Status = STATUS_SUCCESS;
    }
    default: return IoStatusBlock->Status = STATUS_INVALID_INFO_CLASS;
  }
}

}  // extern "C"
