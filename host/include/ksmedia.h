// ksmedia.h for the wavert host: the audio half of Kernel Streaming. Audio categories, node types,
// wave formats and ranges, KSPROPSETID_Audio, KSPROPSETID_RtAudio (the WaveRT contract), and
// KSPROPSETID_Jack, with the Windows x64 layout of every structure.
//
// The KSRTAUDIO_* and KSAUDIO_* structures cross the user/kernel boundary on every WaveRT pin, so
// their sizes and offsets are pinned below (DESIGN.md "Contract facts", waveRT-contract.md §2) and
// again at run time in tests/kernel/ks_layout_test.cpp. docs/abi.md names the source of each.
#pragma once

#include <ks.h>
#include <mmreg.h>

// ---- Categories --------------------------------------------------------------------------------

#define STATIC_KSCATEGORY_AUDIO 0x6994AD04, 0x93EF, 0x11D0, 0xA3, 0xCC, 0x00, 0xA0, 0xC9, 0x22, 0x31, 0x96
WAVERT_KS_GUID(KSCATEGORY_AUDIO);
// WaveRT filters register under this category in addition to AUDIO and RENDER/CAPTURE.
#define STATIC_KSCATEGORY_REALTIME 0xEB115FFC, 0x10C8, 0x4964, 0x83, 0x1D, 0x6D, 0xCB, 0x02, 0xE6, 0xF2, 0x3F
WAVERT_KS_GUID(KSCATEGORY_REALTIME);
#define STATIC_KSCATEGORY_TOPOLOGY 0xDDA54A40, 0x1E4C, 0x11D1, 0xA0, 0x50, 0x40, 0x57, 0x05, 0xC1, 0x00, 0x00
WAVERT_KS_GUID(KSCATEGORY_TOPOLOGY);

// ---- Node types ----------------------------------------------------------------------------------

// Terminal types follow the USB Audio terminal numbering: Data1 = 0xDFF219E0 + terminal type.
#define DEFINE_USB_TERMINAL_GUID(id) \
  0xDFF219E0 + (USHORT)(id), 0xF70F, 0x11D0, 0xB9, 0x17, 0x00, 0xA0, 0xC9, 0x22, 0x31, 0x96

#define STATIC_KSNODETYPE_MICROPHONE DEFINE_USB_TERMINAL_GUID(0x0201)
WAVERT_KS_GUID(KSNODETYPE_MICROPHONE);
#define STATIC_KSNODETYPE_DESKTOP_MICROPHONE DEFINE_USB_TERMINAL_GUID(0x0202)
WAVERT_KS_GUID(KSNODETYPE_DESKTOP_MICROPHONE);
#define STATIC_KSNODETYPE_MICROPHONE_ARRAY DEFINE_USB_TERMINAL_GUID(0x0205)
WAVERT_KS_GUID(KSNODETYPE_MICROPHONE_ARRAY);
#define STATIC_KSNODETYPE_SPEAKER DEFINE_USB_TERMINAL_GUID(0x0301)
WAVERT_KS_GUID(KSNODETYPE_SPEAKER);
#define STATIC_KSNODETYPE_HEADPHONES DEFINE_USB_TERMINAL_GUID(0x0302)
WAVERT_KS_GUID(KSNODETYPE_HEADPHONES);
#define STATIC_KSNODETYPE_DESKTOP_SPEAKER DEFINE_USB_TERMINAL_GUID(0x0304)
WAVERT_KS_GUID(KSNODETYPE_DESKTOP_SPEAKER);
#define STATIC_KSNODETYPE_HEADSET DEFINE_USB_TERMINAL_GUID(0x0402)
WAVERT_KS_GUID(KSNODETYPE_HEADSET);
#define STATIC_KSNODETYPE_ANALOG_CONNECTOR DEFINE_USB_TERMINAL_GUID(0x0601)
WAVERT_KS_GUID(KSNODETYPE_ANALOG_CONNECTOR);
#define STATIC_KSNODETYPE_LINE_CONNECTOR DEFINE_USB_TERMINAL_GUID(0x0603)
WAVERT_KS_GUID(KSNODETYPE_LINE_CONNECTOR);
#define STATIC_KSNODETYPE_SPDIF_INTERFACE DEFINE_USB_TERMINAL_GUID(0x0605)
WAVERT_KS_GUID(KSNODETYPE_SPDIF_INTERFACE);

#define STATIC_KSNODETYPE_DAC 0x507AE360, 0xC554, 0x11D0, 0x8A, 0x2B, 0x00, 0xA0, 0xC9, 0x25, 0x5A, 0xC1
WAVERT_KS_GUID(KSNODETYPE_DAC);
#define STATIC_KSNODETYPE_ADC 0x4D837FE0, 0xC555, 0x11D0, 0x8A, 0x2B, 0x00, 0xA0, 0xC9, 0x25, 0x5A, 0xC1
WAVERT_KS_GUID(KSNODETYPE_ADC);
#define STATIC_KSNODETYPE_SRC 0x9DB7B9E0, 0xC555, 0x11D0, 0x8A, 0x2B, 0x00, 0xA0, 0xC9, 0x25, 0x5A, 0xC1
WAVERT_KS_GUID(KSNODETYPE_SRC);
#define STATIC_KSNODETYPE_SUPERMIX 0xE573ADC0, 0xC555, 0x11D0, 0x8A, 0x2B, 0x00, 0xA0, 0xC9, 0x25, 0x5A, 0xC1
WAVERT_KS_GUID(KSNODETYPE_SUPERMIX);
#define STATIC_KSNODETYPE_MUX 0x2CEAF780, 0xC556, 0x11D0, 0x8A, 0x2B, 0x00, 0xA0, 0xC9, 0x25, 0x5A, 0xC1
WAVERT_KS_GUID(KSNODETYPE_MUX);
#define STATIC_KSNODETYPE_SUM 0xDA441A60, 0xC556, 0x11D0, 0x8A, 0x2B, 0x00, 0xA0, 0xC9, 0x25, 0x5A, 0xC1
WAVERT_KS_GUID(KSNODETYPE_SUM);
#define STATIC_KSNODETYPE_MUTE 0x02B223C0, 0xC557, 0x11D0, 0x8A, 0x2B, 0x00, 0xA0, 0xC9, 0x25, 0x5A, 0xC1
WAVERT_KS_GUID(KSNODETYPE_MUTE);
#define STATIC_KSNODETYPE_VOLUME 0x3A5ACC00, 0xC557, 0x11D0, 0x8A, 0x2B, 0x00, 0xA0, 0xC9, 0x25, 0x5A, 0xC1
WAVERT_KS_GUID(KSNODETYPE_VOLUME);
#define STATIC_KSNODETYPE_TONE 0x7607E580, 0xC557, 0x11D0, 0x8A, 0x2B, 0x00, 0xA0, 0xC9, 0x25, 0x5A, 0xC1
WAVERT_KS_GUID(KSNODETYPE_TONE);
#define STATIC_KSNODETYPE_AGC 0xE88C9BA0, 0xC557, 0x11D0, 0x8A, 0x2B, 0x00, 0xA0, 0xC9, 0x25, 0x5A, 0xC1
WAVERT_KS_GUID(KSNODETYPE_AGC);
#define STATIC_KSNODETYPE_PEAKMETER 0xA085651E, 0x5F0D, 0x4B36, 0xA8, 0x69, 0xD1, 0x95, 0xD6, 0xAB, 0x4B, 0x9E
WAVERT_KS_GUID(KSNODETYPE_PEAKMETER);
#define STATIC_KSNODETYPE_DEV_SPECIFIC 0x941C7AC0, 0xC559, 0x11D0, 0x8A, 0x2B, 0x00, 0xA0, 0xC9, 0x25, 0x5A, 0xC1
WAVERT_KS_GUID(KSNODETYPE_DEV_SPECIFIC);
// The offload engine node (Windows 8+), listed for completeness; wavert does not offload.
#define STATIC_KSNODETYPE_AUDIO_ENGINE 0x35CAF6E4, 0xF3B3, 0x4168, 0xBB, 0x4B, 0x55, 0xE7, 0x7A, 0x46, 0x1C, 0x7E
WAVERT_KS_GUID(KSNODETYPE_AUDIO_ENGINE);

// Node pin numbering used by KSTOPOLOGY_CONNECTION for the standard single-in/single-out nodes.
#define KSNODEPIN_STANDARD_IN 1
#define KSNODEPIN_STANDARD_OUT 0
#define KSNODEPIN_SUM_MUX_IN 1
#define KSNODEPIN_SUM_MUX_OUT 0
#define KSNODEPIN_DEMUX_IN 0
#define KSNODEPIN_DEMUX_OUT 1

// Friendly-name GUIDs for topology nodes (KSPROPERTY_TOPOLOGY_NAME).
#define STATIC_KSAUDFNAME_MASTER_VOLUME 0x185FEDE3, 0x9905, 0x11D1, 0x95, 0xA9, 0x00, 0xC0, 0x4F, 0xB9, 0x25, 0xD3
WAVERT_KS_GUID(KSAUDFNAME_MASTER_VOLUME);
#define STATIC_KSAUDFNAME_MASTER_MUTE 0x185FEDE4, 0x9905, 0x11D1, 0x95, 0xA9, 0x00, 0xC0, 0x4F, 0xB9, 0x25, 0xD3
WAVERT_KS_GUID(KSAUDFNAME_MASTER_MUTE);
#define STATIC_KSAUDFNAME_WAVE_VOLUME 0x185FEDE5, 0x9905, 0x11D1, 0x95, 0xA9, 0x00, 0xC0, 0x4F, 0xB9, 0x25, 0xD3
WAVERT_KS_GUID(KSAUDFNAME_WAVE_VOLUME);
#define STATIC_KSAUDFNAME_WAVE_MUTE 0x185FEDE6, 0x9905, 0x11D1, 0x95, 0xA9, 0x00, 0xC0, 0x4F, 0xB9, 0x25, 0xD3
WAVERT_KS_GUID(KSAUDFNAME_WAVE_MUTE);
#define STATIC_KSAUDFNAME_MIC_VOLUME 0x185FEDED, 0x9905, 0x11D1, 0x95, 0xA9, 0x00, 0xC0, 0x4F, 0xB9, 0x25, 0xD3
WAVERT_KS_GUID(KSAUDFNAME_MIC_VOLUME);
#define STATIC_KSAUDFNAME_MIC_MUTE 0x185FEDEE, 0x9905, 0x11D1, 0x95, 0xA9, 0x00, 0xC0, 0x4F, 0xB9, 0x25, 0xD3
WAVERT_KS_GUID(KSAUDFNAME_MIC_MUTE);
#define STATIC_KSAUDFNAME_PEAKMETER 0x57E24340, 0xFC5B, 0x4612, 0xA5, 0x62, 0x72, 0xB1, 0x1A, 0x29, 0xDF, 0xAE
WAVERT_KS_GUID(KSAUDFNAME_PEAKMETER);

// ---- Audio data formats --------------------------------------------------------------------------

#define STATIC_KSDATAFORMAT_TYPE_AUDIO 0x73647561, 0x0000, 0x0010, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71
WAVERT_KS_GUID(KSDATAFORMAT_TYPE_AUDIO);

// Wave format tags map onto subformat GUIDs: Data1 = the tag, the rest fixed.
#define DEFINE_WAVEFORMATEX_GUID(x) \
  (USHORT)(x), 0x0000, 0x0010, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71
#define STATIC_KSDATAFORMAT_SUBTYPE_WAVEFORMATEX DEFINE_WAVEFORMATEX_GUID(0)
WAVERT_KS_GUID(KSDATAFORMAT_SUBTYPE_WAVEFORMATEX);
#define INIT_WAVEFORMATEX_GUID(Guid, x)          \
  do {                                           \
    *(Guid) = KSDATAFORMAT_SUBTYPE_WAVEFORMATEX; \
    (Guid)->Data1 = (USHORT)(x);                 \
  } while (0)
#define EXTRACT_WAVEFORMATEX_ID(Guid) (USHORT)((Guid)->Data1)
// True when everything but the low 16 bits of Data1 matches the wave-format GUID base.
#define IS_VALID_WAVEFORMATEX_GUID(Guid)                                                    \
  (__builtin_memcmp(((const USHORT*)&KSDATAFORMAT_SUBTYPE_WAVEFORMATEX) + 1, ((const USHORT*)(Guid)) + 1, \
                    sizeof(GUID) - sizeof(USHORT)) == 0)

#define STATIC_KSDATAFORMAT_SUBTYPE_PCM DEFINE_WAVEFORMATEX_GUID(WAVE_FORMAT_PCM)
WAVERT_KS_GUID(KSDATAFORMAT_SUBTYPE_PCM);
#define STATIC_KSDATAFORMAT_SUBTYPE_IEEE_FLOAT DEFINE_WAVEFORMATEX_GUID(WAVE_FORMAT_IEEE_FLOAT)
WAVERT_KS_GUID(KSDATAFORMAT_SUBTYPE_IEEE_FLOAT);

#define STATIC_KSDATAFORMAT_SPECIFIER_WAVEFORMATEX 0x05589F81, 0xC356, 0x11CE, 0xBF, 0x01, 0x00, 0xAA, 0x00, 0x55, 0x59, 0x5A
WAVERT_KS_GUID(KSDATAFORMAT_SPECIFIER_WAVEFORMATEX);
#define STATIC_KSDATAFORMAT_SPECIFIER_DSOUND 0x518590A2, 0xA184, 0x11D0, 0x85, 0x22, 0x00, 0xC0, 0x4F, 0xD9, 0xBA, 0xF3
WAVERT_KS_GUID(KSDATAFORMAT_SPECIFIER_DSOUND);

// These embed the packed wave formats, and the SDK declares them under 1-byte packing too: the
// WAVEFORMATEX variant is therefore 64 + 18 = 82 bytes, not 88.
#pragma pack(push, 1)

typedef struct {
  KSDATAFORMAT DataFormat;
  WAVEFORMATEX WaveFormatEx;
} KSDATAFORMAT_WAVEFORMATEX, *PKSDATAFORMAT_WAVEFORMATEX;

typedef struct {
  ULONG Flags;
  ULONG Control;
  WAVEFORMATEX WaveFormatEx;
} KSDSOUND_BUFFERDESC, *PKSDSOUND_BUFFERDESC;

typedef struct {
  KSDATAFORMAT DataFormat;
  KSDSOUND_BUFFERDESC BufferDesc;
} KSDATAFORMAT_DSOUND, *PKSDATAFORMAT_DSOUND;

#pragma pack(pop)

typedef struct {
  KSDATAFORMAT DataFormat;
  WAVEFORMATEXTENSIBLE WaveFormatExt;
} KSDATAFORMAT_WAVEFORMATEXTENSIBLE, *PKSDATAFORMAT_WAVEFORMATEXTENSIBLE;

// A pin's supported audio formats: channel count up to MaximumChannels, any bit depth and sample
// rate within the two closed ranges.
typedef struct {
  KSDATARANGE DataRange;
  ULONG MaximumChannels;
  ULONG MinimumBitsPerSample;
  ULONG MaximumBitsPerSample;
  ULONG MinimumSampleFrequency;
  ULONG MaximumSampleFrequency;
} KSDATARANGE_AUDIO, *PKSDATARANGE_AUDIO;

// ---- KSPROPSETID_Audio ---------------------------------------------------------------------------

#define STATIC_KSPROPSETID_Audio 0x45FFAAA0, 0x6E1B, 0x11D0, 0xBC, 0xF2, 0x44, 0x45, 0x53, 0x54, 0x00, 0x00
WAVERT_KS_GUID(KSPROPSETID_Audio);

typedef enum {
  KSPROPERTY_AUDIO_LATENCY = 1,
  KSPROPERTY_AUDIO_COPY_PROTECTION = 2,
  KSPROPERTY_AUDIO_CHANNEL_CONFIG = 3,
  KSPROPERTY_AUDIO_VOLUMELEVEL = 4,
  KSPROPERTY_AUDIO_POSITION = 5,
  KSPROPERTY_AUDIO_DYNAMIC_RANGE = 6,
  KSPROPERTY_AUDIO_QUALITY = 7,
  KSPROPERTY_AUDIO_SAMPLING_RATE = 8,
  KSPROPERTY_AUDIO_DYNAMIC_SAMPLING_RATE = 9,
  KSPROPERTY_AUDIO_MIX_LEVEL_TABLE = 10,
  KSPROPERTY_AUDIO_MIX_LEVEL_CAPS = 11,
  KSPROPERTY_AUDIO_MUX_SOURCE = 12,
  KSPROPERTY_AUDIO_MUTE = 13,
  KSPROPERTY_AUDIO_BASS = 14,
  KSPROPERTY_AUDIO_MID = 15,
  KSPROPERTY_AUDIO_TREBLE = 16,
  KSPROPERTY_AUDIO_BASS_BOOST = 17,
  KSPROPERTY_AUDIO_EQ_LEVEL = 18,
  KSPROPERTY_AUDIO_NUM_EQ_BANDS = 19,
  KSPROPERTY_AUDIO_EQ_BANDS = 20,
  KSPROPERTY_AUDIO_AGC = 21,
  KSPROPERTY_AUDIO_DELAY = 22,
  KSPROPERTY_AUDIO_LOUDNESS = 23,
  KSPROPERTY_AUDIO_WIDE_MODE = 24,
  KSPROPERTY_AUDIO_WIDENESS = 25,
  KSPROPERTY_AUDIO_REVERB_LEVEL = 26,
  KSPROPERTY_AUDIO_CHORUS_LEVEL = 27,
  KSPROPERTY_AUDIO_DEV_SPECIFIC = 28,
  KSPROPERTY_AUDIO_DEMUX_DEST = 29,
  KSPROPERTY_AUDIO_STEREO_ENHANCE = 30,
  KSPROPERTY_AUDIO_MANUFACTURE_GUID = 31,
  KSPROPERTY_AUDIO_PRODUCT_GUID = 32,
  KSPROPERTY_AUDIO_CPU_RESOURCES = 33,
  KSPROPERTY_AUDIO_STEREO_SPEAKER_GEOMETRY = 34,
  KSPROPERTY_AUDIO_SURROUND_ENCODE = 35,
  KSPROPERTY_AUDIO_3D_INTERFACE = 36,
  KSPROPERTY_AUDIO_PEAKMETER = 37,
  KSPROPERTY_AUDIO_ALGORITHM_INSTANCE = 38,
  KSPROPERTY_AUDIO_FILTER_STATE = 39,
  KSPROPERTY_AUDIO_PREFERRED_STATUS = 40,
  KSPROPERTY_AUDIO_PEQ_MAX_BANDS = 41,
  KSPROPERTY_AUDIO_PEQ_NUM_BANDS = 42,
  KSPROPERTY_AUDIO_PEQ_BAND_CENTER_FREQ = 43,
  KSPROPERTY_AUDIO_PEQ_BAND_Q_FACTOR = 44,
  KSPROPERTY_AUDIO_PEQ_BAND_LEVEL = 45,
  KSPROPERTY_AUDIO_CHORUS_MODULATION_RATE = 46,
  KSPROPERTY_AUDIO_CHORUS_MODULATION_DEPTH = 47,
  KSPROPERTY_AUDIO_REVERB_TIME = 48,
  KSPROPERTY_AUDIO_REVERB_DELAY_FEEDBACK = 49,
  KSPROPERTY_AUDIO_POSITIONEX = 50,
  KSPROPERTY_AUDIO_MIC_ARRAY_GEOMETRY = 51,
  KSPROPERTY_AUDIO_PRESENTATION_POSITION = 52,
  KSPROPERTY_AUDIO_WAVERT_CURRENT_WRITE_POSITION = 53,
  KSPROPERTY_AUDIO_LINEAR_BUFFER_POSITION = 54,
  KSPROPERTY_AUDIO_PEAKMETER2 = 55,
  KSPROPERTY_AUDIO_WAVERT_CURRENT_WRITE_LASTBUFFER_POSITION = 56,
  KSPROPERTY_AUDIO_VOLUMELIMIT_ENGAGED = 57,
  KSPROPERTY_AUDIO_MIC_SENSITIVITY = 58,
  KSPROPERTY_AUDIO_MIC_SNR = 59,
  KSPROPERTY_AUDIO_MIC_SENSITIVITY2 = 60
} KSPROPERTY_AUDIO;

// Node requests (KSPROPERTY_TYPE_TOPOLOGY set) carry the node id; per-channel ones the channel too.
typedef struct {
  KSPROPERTY Property;
  ULONG NodeId;
  ULONG Reserved;
} KSNODEPROPERTY, *PKSNODEPROPERTY;

typedef struct {
  KSNODEPROPERTY NodeProperty;
  LONG Channel;  // 0-based; -1 (0xFFFFFFFF) addresses the master channel
  ULONG Reserved;
} KSNODEPROPERTY_AUDIO_CHANNEL, *PKSNODEPROPERTY_AUDIO_CHANNEL;

typedef struct {
  LONG ActiveSpeakerPositions;  // a KSAUDIO_SPEAKER_* mask
} KSAUDIO_CHANNEL_CONFIG, *PKSAUDIO_CHANNEL_CONFIG;

// Byte offsets within the cyclic buffer, wrapping at its end on a looped-streaming (WaveRT) pin:
// PlayOffset is the sample at the DAC (render) or the record position (capture).
typedef struct {
  ULONGLONG PlayOffset;
  ULONGLONG WriteOffset;
} KSAUDIO_POSITION, *PKSAUDIO_POSITION;

// A position bracketed by two performance-counter readings (TimeStamp1 before, TimeStamp2 after).
typedef struct {
  LARGE_INTEGER TimerFrequency;
  LARGE_INTEGER TimeStamp1;
  KSAUDIO_POSITION Position;
  LARGE_INTEGER TimeStamp2;
} KSAUDIO_POSITIONEX, *PKSAUDIO_POSITIONEX;

// Blocks (frames, for PCM) presented since the stream started, and the QPC value at that moment.
typedef struct {
  UINT64 u64PositionInBlocks;
  UINT64 u64QPCPosition;
} KSAUDIO_PRESENTATION_POSITION, *PKSAUDIO_PRESENTATION_POSITION;

#define KSAUDIO_SPEAKER_DIRECTOUT 0
#define KSAUDIO_SPEAKER_MONO (SPEAKER_FRONT_CENTER)
#define KSAUDIO_SPEAKER_STEREO (SPEAKER_FRONT_LEFT | SPEAKER_FRONT_RIGHT)
#define KSAUDIO_SPEAKER_QUAD (SPEAKER_FRONT_LEFT | SPEAKER_FRONT_RIGHT | SPEAKER_BACK_LEFT | SPEAKER_BACK_RIGHT)
#define KSAUDIO_SPEAKER_SURROUND \
  (SPEAKER_FRONT_LEFT | SPEAKER_FRONT_RIGHT | SPEAKER_FRONT_CENTER | SPEAKER_BACK_CENTER)
#define KSAUDIO_SPEAKER_5POINT1                                                                   \
  (SPEAKER_FRONT_LEFT | SPEAKER_FRONT_RIGHT | SPEAKER_FRONT_CENTER | SPEAKER_LOW_FREQUENCY |     \
   SPEAKER_BACK_LEFT | SPEAKER_BACK_RIGHT)
#define KSAUDIO_SPEAKER_7POINT1                                                                   \
  (SPEAKER_FRONT_LEFT | SPEAKER_FRONT_RIGHT | SPEAKER_FRONT_CENTER | SPEAKER_LOW_FREQUENCY |     \
   SPEAKER_BACK_LEFT | SPEAKER_BACK_RIGHT | SPEAKER_FRONT_LEFT_OF_CENTER | SPEAKER_FRONT_RIGHT_OF_CENTER)
#define KSAUDIO_SPEAKER_5POINT1_SURROUND                                                          \
  (SPEAKER_FRONT_LEFT | SPEAKER_FRONT_RIGHT | SPEAKER_FRONT_CENTER | SPEAKER_LOW_FREQUENCY |     \
   SPEAKER_SIDE_LEFT | SPEAKER_SIDE_RIGHT)
#define KSAUDIO_SPEAKER_7POINT1_SURROUND                                                          \
  (SPEAKER_FRONT_LEFT | SPEAKER_FRONT_RIGHT | SPEAKER_FRONT_CENTER | SPEAKER_LOW_FREQUENCY |     \
   SPEAKER_BACK_LEFT | SPEAKER_BACK_RIGHT | SPEAKER_SIDE_LEFT | SPEAKER_SIDE_RIGHT)
// Older names for the same masks.
#define KSAUDIO_SPEAKER_5POINT1_BACK KSAUDIO_SPEAKER_5POINT1
#define KSAUDIO_SPEAKER_7POINT1_WIDE KSAUDIO_SPEAKER_7POINT1

// Change notifications for topology controls (volume, mute) go through this event set.
#define STATIC_KSEVENTSETID_AudioControlChange 0xE85E9698, 0xFA2F, 0x11D1, 0x95, 0xBD, 0x00, 0xC0, 0x4F, 0xB9, 0x25, 0xD3
WAVERT_KS_GUID(KSEVENTSETID_AudioControlChange);
typedef enum {
  KSEVENT_CONTROL_CHANGE = 0
} KSEVENT_AUDIO_CONTROL_CHANGE;

// ---- Signal processing modes ---------------------------------------------------------------------

typedef enum {
  KSPROPERTY_AUDIOSIGNALPROCESSING_MODES = 0
} KSPROPERTY_AUDIOSIGNALPROCESSING;

#define STATIC_AUDIO_SIGNALPROCESSINGMODE_DEFAULT 0xC18E2F7E, 0x933D, 0x4965, 0xB7, 0xD1, 0x1E, 0xEF, 0x22, 0x8D, 0x2A, 0xF3
WAVERT_KS_GUID(AUDIO_SIGNALPROCESSINGMODE_DEFAULT);
#define STATIC_AUDIO_SIGNALPROCESSINGMODE_RAW 0x9E90EA20, 0xB493, 0x4FD1, 0xA1, 0xA8, 0x7E, 0x13, 0x61, 0xA9, 0x56, 0xCF
WAVERT_KS_GUID(AUDIO_SIGNALPROCESSINGMODE_RAW);
#define STATIC_AUDIO_SIGNALPROCESSINGMODE_COMMUNICATIONS 0x98951333, 0xB9CD, 0x48B1, 0xA0, 0xA3, 0xFF, 0x40, 0x68, 0x2D, 0x73, 0xF7
WAVERT_KS_GUID(AUDIO_SIGNALPROCESSINGMODE_COMMUNICATIONS);
#define STATIC_AUDIO_SIGNALPROCESSINGMODE_MOVIE 0xB26FEB0D, 0xEC94, 0x477C, 0x94, 0x94, 0xD1, 0xAB, 0x8E, 0x75, 0x3F, 0x6E
WAVERT_KS_GUID(AUDIO_SIGNALPROCESSINGMODE_MOVIE);

// The attribute a mode-aware client appends to a KSDATAFORMAT (KSDATAFORMAT_ATTRIBUTES) to open a
// pin in a given processing mode.
typedef struct {
  KSATTRIBUTE AttributeHeader;
  GUID SignalProcessingMode;
} KSATTRIBUTE_AUDIOSIGNALPROCESSING_MODE, *PKSATTRIBUTE_AUDIOSIGNALPROCESSING_MODE;

// ---- Packet size constraints (DEVPKEY_KsAudio_PacketSize_Constraints2, Windows 10 2004+) ---------

// Set on the filter interface before PcRegisterSubdevice: the smallest period the hardware
// transport can run at, and per processing mode the packet it prefers.
typedef struct {
  GUID ProcessingMode;
  ULONG SamplesPerProcessingPacket;
  ULONG ProcessingPacketDurationInHns;
} KSAUDIO_PACKETSIZE_PROCESSINGMODE_CONSTRAINT, *PKSAUDIO_PACKETSIZE_PROCESSINGMODE_CONSTRAINT;

typedef struct {
  ULONG MinPacketPeriodInHns;
  ULONG PacketSizeFileAlignment;  // a FILE_*_ALIGNMENT value
  ULONG MaxPacketSizeInBytes;     // 0: no maximum
  ULONG NumProcessingModeConstraints;
  KSAUDIO_PACKETSIZE_PROCESSINGMODE_CONSTRAINT ProcessingModeConstraints[1];  // NumProcessingModeConstraints of them
} KSAUDIO_PACKETSIZE_CONSTRAINTS2, *PKSAUDIO_PACKETSIZE_CONSTRAINTS2;

// ---- KSPROPSETID_RtAudio: the WaveRT pin contract ------------------------------------------------

#define STATIC_KSPROPSETID_RtAudio 0xA855A48C, 0x2F78, 0x4729, 0x90, 0x51, 0x19, 0x68, 0x74, 0x6B, 0x9E, 0xEF
WAVERT_KS_GUID(KSPROPSETID_RtAudio);

typedef enum {
  KSPROPERTY_RTAUDIO_GETPOSITIONFUNCTION = 0,
  KSPROPERTY_RTAUDIO_BUFFER = 1,
  KSPROPERTY_RTAUDIO_HWLATENCY = 2,
  KSPROPERTY_RTAUDIO_POSITIONREGISTER = 3,
  KSPROPERTY_RTAUDIO_CLOCKREGISTER = 4,
  KSPROPERTY_RTAUDIO_BUFFER_WITH_NOTIFICATION = 5,
  KSPROPERTY_RTAUDIO_REGISTER_NOTIFICATION_EVENT = 6,
  KSPROPERTY_RTAUDIO_UNREGISTER_NOTIFICATION_EVENT = 7,
  KSPROPERTY_RTAUDIO_QUERY_NOTIFICATION_SUPPORT = 8,
  KSPROPERTY_RTAUDIO_PACKETCOUNT = 9,
  KSPROPERTY_RTAUDIO_PRESENTATION_POSITION = 10,
  KSPROPERTY_RTAUDIO_GETREADPACKET = 11,
  KSPROPERTY_RTAUDIO_SETWRITEPACKET = 12,
  KSPROPERTY_RTAUDIO_PACKETVREGISTER = 13
} KSPROPERTY_RTAUDIO;

// KSPROPERTY_RTAUDIO_BUFFER request. BaseAddress is the client's preferred user address (usually
// NULL); the driver may round RequestedBufferSize (see waveRT-contract.md §2).
typedef struct {
  KSPROPERTY Property;
  PVOID BaseAddress;
  ULONG RequestedBufferSize;
} KSRTAUDIO_BUFFER_PROPERTY, *PKSRTAUDIO_BUFFER_PROPERTY;

typedef struct {
  KSPROPERTY Property;
  PVOID BaseAddress;
  ULONG RequestedBufferSize;
  ULONG NotificationCount;  // 1 (end of buffer) or 2 (middle and end)
} KSRTAUDIO_BUFFER_PROPERTY_WITH_NOTIFICATION, *PKSRTAUDIO_BUFFER_PROPERTY_WITH_NOTIFICATION;

// Reply to both buffer requests. CallMemoryBarrier is TRUE when the buffer is write-combined.
typedef struct {
  PVOID BufferAddress;
  ULONG ActualBufferSize;
  BOOL CallMemoryBarrier;
} KSRTAUDIO_BUFFER, *PKSRTAUDIO_BUFFER;

// FifoSize in bytes; ChipsetDelay and CodecDelay in 100-nanosecond units.
typedef struct {
  ULONG FifoSize;
  ULONG ChipsetDelay;
  ULONG CodecDelay;
} KSRTAUDIO_HWLATENCY, *PKSRTAUDIO_HWLATENCY;

typedef struct {
  KSPROPERTY Property;
  PVOID BaseAddress;
} KSRTAUDIO_HWREGISTER_PROPERTY, *PKSRTAUDIO_HWREGISTER_PROPERTY;

// A mapped position or clock register. Width is 32 or 64 bits. For the clock register its
// frequency is Numerator/Denominator Hz and Accuracy is ticks per update; for the position
// register Accuracy is bytes per update and Numerator/Denominator are unused.
typedef struct {
  PVOID Register;
  ULONG Width;
  ULONGLONG Numerator;
  ULONGLONG Denominator;
  ULONG Accuracy;
} KSRTAUDIO_HWREGISTER, *PKSRTAUDIO_HWREGISTER;

// NotificationEvent is a user-mode event handle.
typedef struct {
  KSPROPERTY Property;
  HANDLE NotificationEvent;
} KSRTAUDIO_NOTIFICATION_EVENT_PROPERTY, *PKSRTAUDIO_NOTIFICATION_EVENT_PROPERTY;

// Reply to KSPROPERTY_RTAUDIO_GETREADPACKET: PerformanceCounterValue is the QPC time of the
// packet's first sample; MoreData allows the client to read the next packet at once.
typedef struct {
  ULONG PacketNumber;
  DWORD Flags;
  ULONG64 PerformanceCounterValue;
  BOOL MoreData;
} KSRTAUDIO_GETREADPACKET_INFO, *PKSRTAUDIO_GETREADPACKET_INFO;

// KSPROPERTY_RTAUDIO_SETWRITEPACKET: Flags may carry KSSTREAM_HEADER_OPTIONSF_ENDOFSTREAM, and then
// EosPacketLength gives the valid bytes of the last packet.
typedef struct {
  ULONG PacketNumber;
  DWORD Flags;
  ULONG EosPacketLength;
} KSRTAUDIO_SETWRITEPACKET_INFO, *PKSRTAUDIO_SETWRITEPACKET_INFO;

typedef struct {
  KSPROPERTY Property;
  PVOID BaseAddress;
} KSRTAUDIO_PACKETVREGISTER_PROPERTY, *PKSRTAUDIO_PACKETVREGISTER_PROPERTY;

typedef struct {
  ULONG64* CompletedPacketCount;
  ULONG64* CompletedPacketQPC;
  ULONG64* CompletedPacketHash;
} KSRTAUDIO_PACKETVREGISTER, *PKSRTAUDIO_PACKETVREGISTER;

// The layouts a 32-bit client sends to a 64-bit kernel (WOW64): pointers and handles are 32-bit
// values. A 64-bit port must accept both (waveRT-contract.md §2, "WOW64").
typedef struct {
  KSPROPERTY Property;
  ULONG BaseAddress;
  ULONG RequestedBufferSize;
} KSRTAUDIO_BUFFER_PROPERTY32, *PKSRTAUDIO_BUFFER_PROPERTY32;

typedef struct {
  KSPROPERTY Property;
  ULONG BaseAddress;
  ULONG RequestedBufferSize;
  ULONG NotificationCount;
} KSRTAUDIO_BUFFER_PROPERTY_WITH_NOTIFICATION32, *PKSRTAUDIO_BUFFER_PROPERTY_WITH_NOTIFICATION32;

typedef struct {
  ULONG BufferAddress;
  ULONG ActualBufferSize;
  BOOL CallMemoryBarrier;
} KSRTAUDIO_BUFFER32, *PKSRTAUDIO_BUFFER32;

typedef struct {
  KSPROPERTY Property;
  ULONG BaseAddress;
} KSRTAUDIO_HWREGISTER_PROPERTY32, *PKSRTAUDIO_HWREGISTER_PROPERTY32;

typedef struct {
  ULONG Register;
  ULONG Width;
  ULONGLONG Numerator;
  ULONGLONG Denominator;
  ULONG Accuracy;
} KSRTAUDIO_HWREGISTER32, *PKSRTAUDIO_HWREGISTER32;

typedef struct {
  KSPROPERTY Property;
  ULONG NotificationEvent;
} KSRTAUDIO_NOTIFICATION_EVENT_PROPERTY32, *PKSRTAUDIO_NOTIFICATION_EVENT_PROPERTY32;

// ---- KSPROPSETID_Jack ----------------------------------------------------------------------------

#define STATIC_KSPROPSETID_Jack 0x4509F757, 0x2D46, 0x4637, 0x8E, 0x62, 0xCE, 0x7D, 0xB9, 0x44, 0xF5, 0x7B
WAVERT_KS_GUID(KSPROPSETID_Jack);

typedef enum {
  KSPROPERTY_JACK_DESCRIPTION = 1,
  KSPROPERTY_JACK_DESCRIPTION2 = 2,
  KSPROPERTY_JACK_SINK_INFO = 3,
  KSPROPERTY_JACK_CONTAINERID = 4
} KSPROPERTY_JACK;

typedef enum {
  eConnTypeUnknown = 0,
  eConnType3Point5mm = 1,
  eConnTypeQuarter = 2,
  eConnTypeAtapiInternal = 3,
  eConnTypeRCA = 4,
  eConnTypeOptical = 5,
  eConnTypeOtherDigital = 6,
  eConnTypeOtherAnalog = 7,
  eConnTypeMultichannelAnalogDIN = 8,
  eConnTypeXlrProfessional = 9,
  eConnTypeRJ11Modem = 10,
  eConnTypeCombination = 11
} EPcxConnectionType;

typedef enum {
  eGeoLocRear = 1,
  eGeoLocFront = 2,
  eGeoLocLeft = 3,
  eGeoLocRight = 4,
  eGeoLocTop = 5,
  eGeoLocBottom = 6,
  eGeoLocRearPanel = 7,
  eGeoLocRiser = 8,
  eGeoLocInsideMobileLid = 9,
  eGeoLocDrivebay = 10,
  eGeoLocHDMI = 11,
  eGeoLocOutsideMobileLid = 12,
  eGeoLocATAPI = 13,
  eGeoLocNotApplicable = 14,
  eGeoLocReserved6 = 15
} EPcxGeoLocation;

typedef enum {
  eGenLocPrimaryBox = 0,
  eGenLocInternal = 1,
  eGenLocSeparate = 2,
  eGenLocOther = 3
} EPcxGenLocation;

typedef enum {
  ePortConnJack = 0,
  ePortConnIntegratedDevice = 1,
  ePortConnBothIntegratedAndJack = 2,
  ePortConnUnknown = 3
} EPxcPortConnection;

typedef struct {
  DWORD ChannelMapping;  // KSAUDIO_SPEAKER_* mask of the channels on this jack
  DWORD Color;           // 0x00RRGGBB
  EPcxConnectionType ConnectionType;
  EPcxGeoLocation GeoLocation;
  EPcxGenLocation GenLocation;
  EPxcPortConnection PortConnection;
  BOOL IsConnected;
} KSJACK_DESCRIPTION, *PKSJACK_DESCRIPTION;

#define JACKDESC2_PRESENCE_DETECT_CAPABILITY 0x00000001
#define JACKDESC2_DYNAMIC_FORMAT_CHANGE_CAPABILITY 0x00000002

typedef struct {
  DWORD DeviceStateInfo;   // reserved, zero
  DWORD JackCapabilities;  // JACKDESC2_*
} KSJACK_DESCRIPTION2, *PKSJACK_DESCRIPTION2;

// ---- Windows x64 layout ----------------------------------------------------------------------------

static_assert(sizeof(KSDATAFORMAT_WAVEFORMATEX) == 82, "ksmedia.h: KSDATAFORMAT_WAVEFORMATEX is packed: 64 + 18");
static_assert(offsetof(KSDATAFORMAT_WAVEFORMATEX, WaveFormatEx) == 64);
static_assert(sizeof(KSDATAFORMAT_WAVEFORMATEXTENSIBLE) == 104 && offsetof(KSDATAFORMAT_WAVEFORMATEXTENSIBLE, WaveFormatExt) == 64);
static_assert(sizeof(KSDSOUND_BUFFERDESC) == 26 && sizeof(KSDATAFORMAT_DSOUND) == 90);
static_assert(sizeof(KSDATARANGE_AUDIO) == 88 && offsetof(KSDATARANGE_AUDIO, MaximumChannels) == 64 &&
              offsetof(KSDATARANGE_AUDIO, MinimumBitsPerSample) == 68 && offsetof(KSDATARANGE_AUDIO, MaximumBitsPerSample) == 72 &&
              offsetof(KSDATARANGE_AUDIO, MinimumSampleFrequency) == 76 && offsetof(KSDATARANGE_AUDIO, MaximumSampleFrequency) == 80);
static_assert(sizeof(KSNODEPROPERTY) == 32 && offsetof(KSNODEPROPERTY, NodeId) == 24);
static_assert(sizeof(KSNODEPROPERTY_AUDIO_CHANNEL) == 40 && offsetof(KSNODEPROPERTY_AUDIO_CHANNEL, Channel) == 32);
static_assert(sizeof(KSAUDIO_CHANNEL_CONFIG) == 4);
static_assert(sizeof(KSAUDIO_POSITION) == 16 && offsetof(KSAUDIO_POSITION, WriteOffset) == 8);
static_assert(sizeof(KSAUDIO_POSITIONEX) == 40 && offsetof(KSAUDIO_POSITIONEX, TimeStamp1) == 8 &&
              offsetof(KSAUDIO_POSITIONEX, Position) == 16 && offsetof(KSAUDIO_POSITIONEX, TimeStamp2) == 32);
static_assert(sizeof(KSAUDIO_PRESENTATION_POSITION) == 16 && offsetof(KSAUDIO_PRESENTATION_POSITION, u64QPCPosition) == 8);
static_assert(sizeof(KSRTAUDIO_BUFFER_PROPERTY) == 40, "ksmedia.h: KSRTAUDIO_BUFFER_PROPERTY is 40 bytes on x64");
static_assert(offsetof(KSRTAUDIO_BUFFER_PROPERTY, BaseAddress) == 24 && offsetof(KSRTAUDIO_BUFFER_PROPERTY, RequestedBufferSize) == 32);
static_assert(sizeof(KSRTAUDIO_BUFFER_PROPERTY_WITH_NOTIFICATION) == 40 &&
              offsetof(KSRTAUDIO_BUFFER_PROPERTY_WITH_NOTIFICATION, RequestedBufferSize) == 32 &&
              offsetof(KSRTAUDIO_BUFFER_PROPERTY_WITH_NOTIFICATION, NotificationCount) == 36);
static_assert(sizeof(KSRTAUDIO_BUFFER) == 16 && offsetof(KSRTAUDIO_BUFFER, ActualBufferSize) == 8 &&
              offsetof(KSRTAUDIO_BUFFER, CallMemoryBarrier) == 12);
static_assert(sizeof(KSRTAUDIO_HWLATENCY) == 12 && offsetof(KSRTAUDIO_HWLATENCY, ChipsetDelay) == 4 &&
              offsetof(KSRTAUDIO_HWLATENCY, CodecDelay) == 8);
static_assert(sizeof(KSRTAUDIO_HWREGISTER_PROPERTY) == 32 && offsetof(KSRTAUDIO_HWREGISTER_PROPERTY, BaseAddress) == 24);
static_assert(sizeof(KSRTAUDIO_HWREGISTER) == 40 && offsetof(KSRTAUDIO_HWREGISTER, Width) == 8 &&
              offsetof(KSRTAUDIO_HWREGISTER, Numerator) == 16 && offsetof(KSRTAUDIO_HWREGISTER, Denominator) == 24 &&
              offsetof(KSRTAUDIO_HWREGISTER, Accuracy) == 32);
static_assert(sizeof(KSRTAUDIO_NOTIFICATION_EVENT_PROPERTY) == 32 &&
              offsetof(KSRTAUDIO_NOTIFICATION_EVENT_PROPERTY, NotificationEvent) == 24);
static_assert(sizeof(KSRTAUDIO_GETREADPACKET_INFO) == 24 && offsetof(KSRTAUDIO_GETREADPACKET_INFO, Flags) == 4 &&
              offsetof(KSRTAUDIO_GETREADPACKET_INFO, PerformanceCounterValue) == 8 &&
              offsetof(KSRTAUDIO_GETREADPACKET_INFO, MoreData) == 16);
static_assert(sizeof(KSRTAUDIO_SETWRITEPACKET_INFO) == 12 && offsetof(KSRTAUDIO_SETWRITEPACKET_INFO, Flags) == 4 &&
              offsetof(KSRTAUDIO_SETWRITEPACKET_INFO, EosPacketLength) == 8);
static_assert(sizeof(KSRTAUDIO_PACKETVREGISTER_PROPERTY) == 32 && offsetof(KSRTAUDIO_PACKETVREGISTER_PROPERTY, BaseAddress) == 24);
static_assert(sizeof(KSRTAUDIO_PACKETVREGISTER) == 24);
static_assert(sizeof(KSRTAUDIO_BUFFER_PROPERTY32) == 32 && offsetof(KSRTAUDIO_BUFFER_PROPERTY32, RequestedBufferSize) == 28);
static_assert(sizeof(KSRTAUDIO_BUFFER_PROPERTY_WITH_NOTIFICATION32) == 40 &&
              offsetof(KSRTAUDIO_BUFFER_PROPERTY_WITH_NOTIFICATION32, NotificationCount) == 32);
static_assert(sizeof(KSRTAUDIO_BUFFER32) == 12 && offsetof(KSRTAUDIO_BUFFER32, CallMemoryBarrier) == 8);
static_assert(sizeof(KSRTAUDIO_HWREGISTER_PROPERTY32) == 32);
static_assert(sizeof(KSRTAUDIO_HWREGISTER32) == 32 && offsetof(KSRTAUDIO_HWREGISTER32, Numerator) == 8 &&
              offsetof(KSRTAUDIO_HWREGISTER32, Accuracy) == 24);
static_assert(sizeof(KSRTAUDIO_NOTIFICATION_EVENT_PROPERTY32) == 32);
static_assert(sizeof(KSJACK_DESCRIPTION) == 28 && offsetof(KSJACK_DESCRIPTION, IsConnected) == 24);
static_assert(sizeof(KSJACK_DESCRIPTION2) == 8);
static_assert(sizeof(KSATTRIBUTE_AUDIOSIGNALPROCESSING_MODE) == 40 &&
              offsetof(KSATTRIBUTE_AUDIOSIGNALPROCESSING_MODE, SignalProcessingMode) == 24);
static_assert(sizeof(KSAUDIO_PACKETSIZE_PROCESSINGMODE_CONSTRAINT) == 24);
static_assert(sizeof(KSAUDIO_PACKETSIZE_CONSTRAINTS2) == 40 &&
              offsetof(KSAUDIO_PACKETSIZE_CONSTRAINTS2, ProcessingModeConstraints) == 16);
