// Kernel file I/O (wdm.h): ZwCreateFile, ZwReadFile, ZwWriteFile, ZwQueryInformationFile over
// host files, closed with ZwClose (io.h). Declarations, structures and constants follow the WDK;
// the Windows build of the driver imports the same routines from ntoskrnl.exe.
//
// Host behaviour, name mapping and every status for bad input: docs/sinks-and-sources.md
// ("The host's file routines"). In short:
//   \??\<abs path>, \DosDevices\<abs path>, \GLOBAL??\<abs path>  ->  the Linux file <abs path>
//       ('\' in the path becomes '/'; drive letters do not exist: STATUS_OBJECT_PATH_NOT_FOUND)
//   \Device\WavertAlsa\<device>  ->  an ALSA PCM for playback (STATUS_NOT_SUPPORTED in a host
//       built without libasound)
// Every routine runs at PASSIVE_LEVEL (a Rule::IrqlTooHigh report otherwise) and completes
// synchronously: STATUS_PENDING is never returned, Event and ApcRoutine must be null.
#pragma once

#include "wavert/nt/callsite.h"
#include "wavert/nt/io.h"
#include "wavert/nt/status.h"
#include "wavert/nt/types.h"

typedef struct _IO_STATUS_BLOCK {
  union {
    NTSTATUS Status;
    PVOID Pointer;
  };
  ULONG_PTR Information;
} IO_STATUS_BLOCK, *PIO_STATUS_BLOCK;
static_assert(sizeof(IO_STATUS_BLOCK) == 16, "IO_STATUS_BLOCK has Windows' x64 size");

typedef VOID IO_APC_ROUTINE(PVOID ApcContext, PIO_STATUS_BLOCK IoStatusBlock, ULONG Reserved);
typedef IO_APC_ROUTINE* PIO_APC_ROUTINE;

typedef enum _FILE_INFORMATION_CLASS {
  FileDirectoryInformation = 1,
  FileBasicInformation = 4,
  FileStandardInformation = 5,
  FileInternalInformation = 6,
  FileEaInformation = 7,
  FileAccessInformation = 8,
  FileNameInformation = 9,
  FilePositionInformation = 14,
  FileEndOfFileInformation = 20,
  FileMaximumInformation = 76,
} FILE_INFORMATION_CLASS, *PFILE_INFORMATION_CLASS;

typedef struct _FILE_STANDARD_INFORMATION {
  LARGE_INTEGER AllocationSize;
  LARGE_INTEGER EndOfFile;
  ULONG NumberOfLinks;
  BOOLEAN DeletePending;
  BOOLEAN Directory;
} FILE_STANDARD_INFORMATION, *PFILE_STANDARD_INFORMATION;
static_assert(sizeof(FILE_STANDARD_INFORMATION) == 24, "FILE_STANDARD_INFORMATION has Windows' x64 size");

typedef struct _FILE_POSITION_INFORMATION {
  LARGE_INTEGER CurrentByteOffset;
} FILE_POSITION_INFORMATION, *PFILE_POSITION_INFORMATION;

// Extended attributes passed to ZwCreateFile (the host's ALSA namespace reads its format from one).
typedef struct _FILE_FULL_EA_INFORMATION {
  ULONG NextEntryOffset;
  UCHAR Flags;
  UCHAR EaNameLength;     // bytes, without the terminating NUL
  USHORT EaValueLength;   // bytes
  CHAR EaName[1];         // EaNameLength bytes, NUL, then the value
} FILE_FULL_EA_INFORMATION, *PFILE_FULL_EA_INFORMATION;
static_assert(sizeof(FILE_FULL_EA_INFORMATION) == 12, "FILE_FULL_EA_INFORMATION layout");

// ---- Access rights (winnt.h) -----------------------------------------------------------------
#define FILE_READ_DATA 0x0001u
#define FILE_LIST_DIRECTORY 0x0001u
#define FILE_WRITE_DATA 0x0002u
#define FILE_ADD_FILE 0x0002u
#define FILE_APPEND_DATA 0x0004u
#define FILE_READ_EA 0x0008u
#define FILE_WRITE_EA 0x0010u
#define FILE_EXECUTE 0x0020u
#define FILE_READ_ATTRIBUTES 0x0080u
#define FILE_WRITE_ATTRIBUTES 0x0100u
#define FILE_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x1FFu)
#define FILE_GENERIC_READ (STANDARD_RIGHTS_READ | FILE_READ_DATA | FILE_READ_ATTRIBUTES | FILE_READ_EA | SYNCHRONIZE)
#define FILE_GENERIC_WRITE \
  (STANDARD_RIGHTS_WRITE | FILE_WRITE_DATA | FILE_WRITE_ATTRIBUTES | FILE_WRITE_EA | FILE_APPEND_DATA | SYNCHRONIZE)
#define FILE_GENERIC_EXECUTE (STANDARD_RIGHTS_EXECUTE | FILE_READ_ATTRIBUTES | FILE_EXECUTE | SYNCHRONIZE)

// ---- ShareAccess, FileAttributes ---------------------------------------------------------------
#define FILE_SHARE_READ 0x00000001u
#define FILE_SHARE_WRITE 0x00000002u
#define FILE_SHARE_DELETE 0x00000004u
#define FILE_SHARE_VALID_FLAGS 0x00000007u
#define FILE_ATTRIBUTE_READONLY 0x00000001u
#define FILE_ATTRIBUTE_HIDDEN 0x00000002u
#define FILE_ATTRIBUTE_SYSTEM 0x00000004u
#define FILE_ATTRIBUTE_DIRECTORY 0x00000010u
#define FILE_ATTRIBUTE_ARCHIVE 0x00000020u
#define FILE_ATTRIBUTE_NORMAL 0x00000080u
#define FILE_ATTRIBUTE_TEMPORARY 0x00000100u

// ---- CreateDisposition, and what IoStatusBlock->Information says happened -----------------------
#define FILE_SUPERSEDE 0x00000000u
#define FILE_OPEN 0x00000001u
#define FILE_CREATE 0x00000002u
#define FILE_OPEN_IF 0x00000003u
#define FILE_OVERWRITE 0x00000004u
#define FILE_OVERWRITE_IF 0x00000005u
#define FILE_MAXIMUM_DISPOSITION 0x00000005u

#define FILE_SUPERSEDED 0x00000000u
#define FILE_OPENED 0x00000001u
#define FILE_CREATED 0x00000002u
#define FILE_OVERWRITTEN 0x00000003u
#define FILE_EXISTS 0x00000004u
#define FILE_DOES_NOT_EXIST 0x00000005u

// ---- CreateOptions -----------------------------------------------------------------------------
#define FILE_DIRECTORY_FILE 0x00000001u
#define FILE_WRITE_THROUGH 0x00000002u
#define FILE_SEQUENTIAL_ONLY 0x00000004u
#define FILE_NO_INTERMEDIATE_BUFFERING 0x00000008u
#define FILE_SYNCHRONOUS_IO_ALERT 0x00000010u
#define FILE_SYNCHRONOUS_IO_NONALERT 0x00000020u
#define FILE_NON_DIRECTORY_FILE 0x00000040u
#define FILE_CREATE_TREE_CONNECTION 0x00000080u
#define FILE_COMPLETE_IF_OPLOCKED 0x00000100u
#define FILE_NO_EA_KNOWLEDGE 0x00000200u
#define FILE_RANDOM_ACCESS 0x00000800u
#define FILE_DELETE_ON_CLOSE 0x00001000u
#define FILE_OPEN_FOR_BACKUP_INTENT 0x00004000u
#define FILE_VALID_OPTION_FLAGS 0x00FFFFFFu

// ---- ByteOffset special values (HighPart -1) ---------------------------------------------------
#define FILE_WRITE_TO_END_OF_FILE 0xffffffffu
#define FILE_USE_FILE_POINTER_POSITION 0xfffffffeu

extern "C" {

// STATUS_OBJECT_NAME_NOT_FOUND: the file does not exist (FILE_OPEN, FILE_OVERWRITE);
// STATUS_OBJECT_PATH_NOT_FOUND: a directory on the way does not, or the name is outside the
// namespaces above; STATUS_OBJECT_NAME_COLLISION: FILE_CREATE on an existing file;
// STATUS_FILE_IS_A_DIRECTORY: the name is a directory; STATUS_ACCESS_DENIED: the host refused.
NTSYSAPI NTSTATUS NTAPI ZwCreateFile(PHANDLE FileHandle, ACCESS_MASK DesiredAccess,
                                     POBJECT_ATTRIBUTES ObjectAttributes, PIO_STATUS_BLOCK IoStatusBlock,
                                     PLARGE_INTEGER AllocationSize, ULONG FileAttributes, ULONG ShareAccess,
                                     ULONG CreateDisposition, ULONG CreateOptions, PVOID EaBuffer, ULONG EaLength,
                                     WAVERT_CALLER);
// ByteOffset null (or FILE_USE_FILE_POINTER_POSITION) uses and advances the file position of a
// handle opened FILE_SYNCHRONOUS_IO_*; other handles need an explicit offset
// (STATUS_INVALID_PARAMETER). STATUS_END_OF_FILE (Information 0) when the offset is at or past
// the end; a read that reaches the end returns what there was.
NTSYSAPI NTSTATUS NTAPI ZwReadFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext,
                                   PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer, ULONG Length,
                                   PLARGE_INTEGER ByteOffset, PULONG Key, WAVERT_CALLER);
// As ZwReadFile; FILE_WRITE_TO_END_OF_FILE appends. Writing past the end extends the file (the gap
// reads as zeros).
NTSYSAPI NTSTATUS NTAPI ZwWriteFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext,
                                    PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer, ULONG Length,
                                    PLARGE_INTEGER ByteOffset, PULONG Key, WAVERT_CALLER);
// FileStandardInformation and FilePositionInformation; other classes STATUS_INVALID_INFO_CLASS,
// a short buffer STATUS_INFO_LENGTH_MISMATCH.
NTSYSAPI NTSTATUS NTAPI ZwQueryInformationFile(HANDLE FileHandle, PIO_STATUS_BLOCK IoStatusBlock,
                                               PVOID FileInformation, ULONG Length,
                                               FILE_INFORMATION_CLASS FileInformationClass, WAVERT_CALLER);

}  // extern "C"
