// The `wavert` binary as a user runs it: each subcommand, each exit code, the JSON fields, bad
// input, and `wavert loopback` bit-exact across sample formats, channel counts, rates and modes.
// Everything runs in simulated time except the Ctrl-C tests, where real time is the point.
#include <signal.h>
#include <sndfile.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;

struct Result {
  int exit_code = -1;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string quote(const std::string& s) { return "'" + s + "'"; }

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->test_suite_name()) + "." + info->name();
    for (char& c : name) {
      if (c == '/') c = '_';
    }
    dir_ = fs::temp_directory_path() / ("wavert-cli-" + std::to_string(::getpid()) + "-" + name);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  fs::path path(const std::string& name) const { return dir_ / name; }

  // Runs `wavert ARGS` with stdout and stderr captured (neither is a terminal).
  Result run(const std::string& args, const std::string& prefix = "") {
    const fs::path out = path("stdout.txt"), err = path("stderr.txt");
    const std::string command =
        prefix + quote(WAVERT_CLI_PATH) + " " + args + " >" + quote(out.string()) + " 2>" + quote(err.string());
    const int status = std::system(command.c_str());
    Result r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
  }

  fs::path dir_;
};

// One error line on stderr, naming the program.
void expect_one_line_error(const Result& r, const std::string& fragment) {
  EXPECT_EQ(r.err.rfind("wavert: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(fragment), std::string::npos) << "stderr: " << r.err;
}

// ----- Test signals -------------------------------------------------------------------------

enum class Sample { Int16, Int24, Float32, Double64 };

int subtype(Sample s) {
  switch (s) {
    case Sample::Int16: return SF_FORMAT_PCM_16;
    case Sample::Int24: return SF_FORMAT_PCM_24;
    case Sample::Float32: return SF_FORMAT_FLOAT;
    case Sample::Double64: return SF_FORMAT_DOUBLE;
  }
  return 0;
}

// Pseudo-random samples at the file's own precision, none of them zero, so any lost, repeated or
// altered frame shows. Stored as doubles that the sample type holds exactly (for Double64: values
// float32 cannot hold).
std::vector<double> make_signal(Sample s, int channels, int frames, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<double> out(static_cast<std::size_t>(frames) * channels);
  for (double& x : out) {
    const int bits = s == Sample::Int16 ? 16 : 24;
    std::int32_t v = static_cast<std::int32_t>(rng() % (1u << bits)) - (1 << (bits - 1));
    if (v == 0) v = 1;
    x = static_cast<double>(v) / static_cast<double>(1 << (bits - 1));
    if (s == Sample::Double64) x += 1e-12;  // below float32's precision
  }
  return out;
}

void write_wav(const fs::path& p, Sample s, int rate, int channels, const std::vector<double>& samples) {
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = channels;
  info.format = SF_FORMAT_WAV | subtype(s);
  SNDFILE* f = sf_open(p.c_str(), SFM_WRITE, &info);
  ASSERT_NE(f, nullptr) << sf_strerror(nullptr);
  const auto frames = static_cast<sf_count_t>(samples.size() / channels);
  if (s == Sample::Int16 || s == Sample::Int24) {
    // Integers go through sf_writef_int, left-justified, which is exact (the double path scales
    // by 2^15 - 1 one way and 2^15 the other).
    std::vector<int> ints(samples.size());
    for (std::size_t i = 0; i < ints.size(); ++i) ints[i] = static_cast<int>(std::ldexp(samples[i], 31));
    ASSERT_EQ(sf_writef_int(f, ints.data(), frames), frames);
  } else {
    ASSERT_EQ(sf_writef_double(f, samples.data(), frames), frames);
  }
  sf_close(f);
}

struct Audio {
  SF_INFO info{};
  std::vector<double> samples;
};

Audio read_audio(const fs::path& p) {
  Audio a;
  SNDFILE* f = sf_open(p.c_str(), SFM_READ, &a.info);
  if (f == nullptr) {
    ADD_FAILURE() << "cannot read " << p << ": " << sf_strerror(nullptr);
    return a;
  }
  a.samples.resize(static_cast<std::size_t>(a.info.frames) * a.info.channels);
  const int sub = a.info.format & SF_FORMAT_SUBMASK;
  if (sub == SF_FORMAT_FLOAT || sub == SF_FORMAT_DOUBLE) {
    sf_readf_double(f, a.samples.data(), a.info.frames);
  } else {  // exact, as in write_wav
    std::vector<int> ints(a.samples.size());
    sf_readf_int(f, ints.data(), a.info.frames);
    for (std::size_t i = 0; i < ints.size(); ++i) a.samples[i] = std::ldexp(static_cast<double>(ints[i]), -31);
  }
  sf_close(f);
  return a;
}

// ----- Global options and exit codes ----------------------------------------------------------

TEST_F(Cli, VersionPrintsTheProjectVersionAndSucceeds) {
  const Result r = run("--version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "wavert 0.1.0\n");
}

TEST_F(Cli, HelpListsEverySubcommandAndTheExitCodes) {
  const Result r = run("--help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* word : {"info", "play", "record", "loopback", "--config", "Exit codes"}) {
    EXPECT_NE(r.out.find(word), std::string::npos) << word;
  }
}

TEST_F(Cli, MissingSubcommandIsAUsageError) {
  const Result r = run("");
  EXPECT_EQ(r.exit_code, 2);
  expect_one_line_error(r, "subcommand is required");
}

TEST_F(Cli, UnknownOptionIsAUsageError) {
  const Result r = run("info --frobnicate");
  EXPECT_EQ(r.exit_code, 2);
  expect_one_line_error(r, "--frobnicate");
}

TEST_F(Cli, MissingConfigFileIsAUsageError) {
  const Result r = run("--config " + quote(path("nope.reg").string()) + " info");
  EXPECT_EQ(r.exit_code, 2);
  expect_one_line_error(r, "nope.reg");
}

TEST_F(Cli, ConfigFileParametersReachTheDriver) {
  // The config routes the speaker into a file sink; play then writes it.
  const fs::path sink = path("sink.wav");
  std::ofstream(path("dev.reg")) << "Windows Registry Editor Version 5.00\n\n"
                                    "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\wavert\\Parameters]\n"
                                    "\"SpeakerSink\"=\"file:"
                                 << sink.string() << "\"\n";
  write_wav(path("in.wav"), Sample::Int16, 48'000, 2, make_signal(Sample::Int16, 2, 4'800, 3));
  const Result r = run("--config " + quote(path("dev.reg").string()) + " play --clock sim " + quote(path("in.wav").string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(sink));
  EXPECT_GE(read_audio(sink).info.frames, 4'800);
}

// ----- info -------------------------------------------------------------------------------------

TEST_F(Cli, InfoListsTheThreeEndpoints) {
  const Result r = run("info");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* line : {"speaker  render", "loopback  capture", "microphone  capture"}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << line << " in\n" << r.out;
  }
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST_F(Cli, InfoJsonNamesEachEndpointWithDirectionAndFormats) {
  const Result r = run("info --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  std::map<std::string, std::string> directions;
  for (const auto& e : j.at("endpoints")) {
    directions[e.at("name").get<std::string>()] = e.at("direction").get<std::string>();
    ASSERT_FALSE(e.at("formats").empty());
    bool has_48k_stereo_int16 = false;
    for (const auto& f : e.at("formats")) {
      has_48k_stereo_int16 |= f.at("rateHz") == 48'000 && f.at("channels") == 2 && f.at("containerBits") == 16 &&
                              f.at("sampleType") == "int";
    }
    EXPECT_TRUE(has_48k_stereo_int16) << e.at("name");
    EXPECT_FALSE(e.at("ranges").empty());
  }
  // Filters and their nodes: the two topology filters carry volume, mute and peak meter.
  std::map<std::string, std::vector<std::string>> nodes;
  for (const auto& f : j.at("filters")) nodes[f.at("name").get<std::string>()] = f.at("nodes").get<std::vector<std::string>>();
  const std::vector<std::string> topology{"volume", "mute", "peakmeter"};
  EXPECT_EQ(nodes, (std::map<std::string, std::vector<std::string>>{{"WaveSpeaker", {}},
                                                                     {"TopologySpeaker", topology},
                                                                     {"WaveMicrophone", {}},
                                                                     {"TopologyMicrophone", topology}}));
  EXPECT_EQ(directions, (std::map<std::string, std::string>{
                            {"speaker", "render"}, {"microphone", "capture"}, {"loopback", "capture"}}));
}

// ----- play -------------------------------------------------------------------------------------

TEST_F(Cli, PlayDeliversTheFileToTheSinkUnchanged) {
  const auto signal = make_signal(Sample::Int24, 2, 9'600, 5);
  write_wav(path("in.wav"), Sample::Int24, 48'000, 2, signal);
  const fs::path sink = path("sink.wav");
  const Result r = run("play --clock sim --sink file:" + sink.string() + " " + quote(path("in.wav").string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("played 9600 frames"), std::string::npos) << r.out;
  EXPECT_TRUE(r.err.empty()) << "not a terminal: no progress line, got " << r.err;
  const Audio got = read_audio(sink);
  // The sink hears the stream from its first frame; after the signal it may hear drain silence.
  ASSERT_GE(got.samples.size(), signal.size());
  EXPECT_TRUE(std::equal(signal.begin(), signal.end(), got.samples.begin()));
}

TEST_F(Cli, PlayConvertsOnlyWhatTheEndpointCannotTake) {
  write_wav(path("in.wav"), Sample::Double64, 44'100, 1, make_signal(Sample::Double64, 1, 4'410, 6));
  const Result r = run("-v play --clock sim " + quote(path("in.wav").string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("44100 Hz 1 ch float32"), std::string::npos) << r.out;
}

TEST_F(Cli, PlayOfAMissingFileIsAUsageError) {
  const Result r = run("play --clock sim " + quote(path("missing.wav").string()));
  EXPECT_EQ(r.exit_code, 2);
  expect_one_line_error(r, "no such file");
}

TEST_F(Cli, PlayOfAFileThatIsNotAudioIsAUsageError) {
  std::ofstream(path("notes.wav")) << "this is not a sound file\n";
  const Result r = run("play --clock sim " + quote(path("notes.wav").string()));
  EXPECT_EQ(r.exit_code, 2);
  expect_one_line_error(r, "notes.wav");
}

TEST_F(Cli, PlayOfAnUnreadableFileIsAUsageError) {
  write_wav(path("locked.wav"), Sample::Int16, 48'000, 2, make_signal(Sample::Int16, 2, 480, 1));
  fs::permissions(path("locked.wav"), fs::perms::none);
  if (::access(path("locked.wav").c_str(), R_OK) == 0) GTEST_SKIP() << "running as root: permissions do not apply";
  const Result r = run("play --clock sim " + quote(path("locked.wav").string()));
  EXPECT_EQ(r.exit_code, 2);
  expect_one_line_error(r, "locked.wav");
}

TEST_F(Cli, PlayOfARateNoEndpointFormatHasIsAUsageError) {
  write_wav(path("fast.wav"), Sample::Int16, 384'000, 2, make_signal(Sample::Int16, 2, 3'840, 1));
  const Result r = run("play --clock sim " + quote(path("fast.wav").string()));
  EXPECT_EQ(r.exit_code, 2);
  expect_one_line_error(r, "384000 Hz");
}

TEST_F(Cli, PlayOnAnUnknownEndpointIsAUsageError) {
  write_wav(path("in.wav"), Sample::Int16, 48'000, 2, make_signal(Sample::Int16, 2, 480, 1));
  const Result r = run("play --clock sim --endpoint headphones " + quote(path("in.wav").string()));
  EXPECT_EQ(r.exit_code, 2);
  expect_one_line_error(r, "there are: speaker");
}

TEST_F(Cli, PlayToAnUnknownSinkKindIsAUsageError) {
  write_wav(path("in.wav"), Sample::Int16, 48'000, 2, make_signal(Sample::Int16, 2, 480, 1));
  const Result r = run("play --clock sim --sink pipe:x " + quote(path("in.wav").string()));
  EXPECT_EQ(r.exit_code, 2);
  expect_one_line_error(r, "unknown sink 'pipe:x'");
}

TEST_F(Cli, PlayToASinkTheDriverCannotOpenIsADriverError) {
  write_wav(path("in.wav"), Sample::Int16, 48'000, 2, make_signal(Sample::Int16, 2, 480, 1));
  const Result r = run("play --clock sim --sink file:" + path("no/such/dir/x.wav").string() + " " +
                       quote(path("in.wav").string()));
  EXPECT_EQ(r.exit_code, 3);
  expect_one_line_error(r, "cannot start the driver");
}

TEST_F(Cli, ZeroAndAbsurdBufferSizesAreUsageErrors) {
  write_wav(path("in.wav"), Sample::Int16, 48'000, 2, make_signal(Sample::Int16, 2, 480, 1));
  for (const char* ms : {"0", "100000", "-5", "ten"}) {
    SCOPED_TRACE(ms);
    const Result r = run(std::string("play --clock sim --buffer-ms ") + ms + " " + quote(path("in.wav").string()));
    EXPECT_EQ(r.exit_code, 2);
    expect_one_line_error(r, "--buffer-ms");
  }
}

TEST_F(Cli, UnknownModeAndClockAreUsageErrors) {
  write_wav(path("in.wav"), Sample::Int16, 48'000, 2, make_signal(Sample::Int16, 2, 480, 1));
  EXPECT_EQ(run("play --mode push " + quote(path("in.wav").string())).exit_code, 2);
  EXPECT_EQ(run("play --clock wall " + quote(path("in.wav").string())).exit_code, 2);
}

// ----- record -----------------------------------------------------------------------------------

TEST_F(Cli, RecordWritesExactlyTheRequestedSecondsOfTheMicrophoneTone) {
  const fs::path out = path("tone.wav");
  const Result r = run("record --source tone:1000 --seconds 0.25 --format int24 --channels 1 " + quote(out.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Audio a = read_audio(out);
  EXPECT_EQ(a.info.frames, 12'000);
  EXPECT_EQ(a.info.format, SF_FORMAT_WAV | SF_FORMAT_PCM_24);
  // A 1 kHz sine at -6 dBFS: 500 crossings in a quarter second, peak 0.5.
  int crossings = 0;
  double peak = 0;
  for (std::size_t i = 1; i < a.samples.size(); ++i) {
    crossings += (a.samples[i - 1] < 0) != (a.samples[i] < 0);
    peak = std::max(peak, std::abs(a.samples[i]));
  }
  EXPECT_NEAR(crossings, 500, 3);
  EXPECT_NEAR(peak, 0.5, 0.01);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator{}), 3) << "only tone.wav, stdout, stderr";
}

TEST_F(Cli, RecordFlacAndFloatFormats) {
  ASSERT_EQ(run("record --source tone:440 --seconds 0.1 --format int16 " + quote(path("a.flac").string())).exit_code, 0);
  EXPECT_EQ(read_audio(path("a.flac")).info.format, SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
  ASSERT_EQ(run("record --source tone:440 --seconds 0.1 --format float32 --rate 44100 " + quote(path("b.wav").string())).exit_code, 0);
  const Audio b = read_audio(path("b.wav"));
  EXPECT_EQ(b.info.format, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  EXPECT_EQ(b.info.frames, 4'410);
}

TEST_F(Cli, RecordOfTheLoopbackWithNothingPlayingIsSilence) {
  ASSERT_EQ(run("record --endpoint loopback --seconds 0.1 " + quote(path("l.wav").string())).exit_code, 0);
  const Audio a = read_audio(path("l.wav"));
  EXPECT_EQ(a.info.frames, 4'800);
  EXPECT_TRUE(std::all_of(a.samples.begin(), a.samples.end(), [](double x) { return x == 0; }));
}

TEST_F(Cli, RecordBadInputIsAUsageError) {
  const std::string out = quote(path("x.wav").string());
  struct Case { std::string args, fragment; };
  for (const Case& c : std::vector<Case>{
           {"--endpoint speaker " + out, "no capture endpoint named 'speaker'"},
           {"--source radio:1 " + out, "unknown source 'radio:1'"},
           {"--format int12 " + out, "--format"},
           {"--seconds 0 " + out, "--seconds"},
           {"--channels 9 " + out, "--channels"},
           {quote(path("x.mp9").string()), "cannot tell the file type"},
           {"--format float32 " + quote(path("x.flac").string()), "cannot hold"},
       }) {
    SCOPED_TRACE(c.args);
    const Result r = run("record " + c.args);
    EXPECT_EQ(r.exit_code, 2);
    expect_one_line_error(r, c.fragment);
  }
  EXPECT_FALSE(fs::exists(path("x.wav")));
}

TEST_F(Cli, RecordToAnUnwritablePathIsAnErrorAndLeavesNoFile) {
  const Result r = run("record --seconds 0.1 " + quote(path("no/such/dir/x.wav").string()));
  EXPECT_EQ(r.exit_code, 3);
  expect_one_line_error(r, "cannot write");
}

TEST_F(Cli, RecordOntoAFullDiskIsAnErrorAndLeavesNoPartialFile) {
  // A 64 KiB file-size limit, set once the recording has started, stands in for a full disk:
  // writes beyond it fail with EFBIG. (Set before the start, it would stop the host from creating
  // its physical memory.) Real time, so the recording is still running when the limit lands.
  const pid_t child = ::fork();
  if (child == 0) {
    ::signal(SIGXFSZ, SIG_IGN);
    const std::string out = path("stdout.txt").string(), err = path("stderr.txt").string();
    if (!std::freopen(out.c_str(), "w", stdout) || !std::freopen(err.c_str(), "w", stderr)) _exit(120);
    const std::string file = path("big.wav").string();
    ::execl(WAVERT_CLI_PATH, WAVERT_CLI_PATH, "record", "--clock", "real", "--seconds", "5", file.c_str(),
            static_cast<char*>(nullptr));
    _exit(127);
  }
  bool started = false;
  for (int i = 0; i < 500 && !started; ++i) {
    for (const auto& e : fs::directory_iterator(dir_)) started |= e.path().filename().string().starts_with(".big.wav");
    if (!started) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(started) << "no temporary file appeared";
  const rlimit limit{64 * 1024, 64 * 1024};
  EXPECT_EQ(::prlimit(child, RLIMIT_FSIZE, &limit, nullptr), 0);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  Result r;
  r.exit_code = WEXITSTATUS(status);
  r.err = slurp(path("stderr.txt"));
  EXPECT_EQ(r.exit_code, 3);
  expect_one_line_error(r, "cannot write");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator{}), 2) << "only stdout, stderr";
}

// ----- Ctrl-C (real time) ------------------------------------------------------------------------

// Starts `wavert ARGS` with stdout/stderr to files, sends SIGINT after `delay`, returns the exit code.
int run_and_interrupt(const fs::path& dir, const std::vector<std::string>& args, std::chrono::milliseconds delay) {
  const pid_t child = ::fork();
  if (child == 0) {
    const std::string out = (dir / "stdout.txt").string(), err = (dir / "stderr.txt").string();
    if (!std::freopen(out.c_str(), "w", stdout) || !std::freopen(err.c_str(), "w", stderr)) _exit(120);
    std::vector<char*> argv{const_cast<char*>(WAVERT_CLI_PATH)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(WAVERT_CLI_PATH, argv.data());
    _exit(127);
  }
  // Once the output's temporary file exists the machine runs and the stream is starting.
  bool started = false;
  for (int i = 0; i < 1'000 && !started; ++i) {
    for (const auto& e : fs::directory_iterator(dir)) started |= e.path().filename().string().starts_with(".");
    if (!started) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(started) << "no temporary output file appeared";
  std::this_thread::sleep_for(delay);
  ::kill(child, SIGINT);
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST_F(Cli, CtrlCStopsARecordingAndKeepsAFinishedFile) {
  const fs::path out = path("rec.wav");
  const int code = run_and_interrupt(dir_, {"record", "--clock", "real", "--seconds", "30", "--source", "tone:500", out.string()},
                                     std::chrono::milliseconds(500));
  EXPECT_EQ(code, 0) << slurp(path("stderr.txt"));
  const Audio a = read_audio(out);
  EXPECT_GT(a.info.frames, 0);
  EXPECT_LT(a.info.frames, 30 * 48'000);
  EXPECT_NE(slurp(path("stdout.txt")).find("(interrupted)"), std::string::npos);
}

TEST_F(Cli, CtrlCStopsALoopbackWhichThenFailsItsCheck) {
  write_wav(path("long.wav"), Sample::Int16, 48'000, 2, make_signal(Sample::Int16, 2, 48'000 * 20, 9));
  const int code = run_and_interrupt(dir_, {"loopback", "--clock", "real", path("long.wav").string(), path("out.wav").string()},
                                     std::chrono::milliseconds(500));
  EXPECT_EQ(code, 1) << slurp(path("stderr.txt"));
  EXPECT_NE(slurp(path("stderr.txt")).find("interrupted"), std::string::npos);
  const Audio a = read_audio(path("out.wav"));  // finalised: a valid file with what was recorded
  EXPECT_GT(a.info.frames, 0);
  EXPECT_LT(a.info.frames, 48'000 * 20);
}

TEST_F(Cli, ProgressLineAppearsOnATerminalOnly) {
  write_wav(path("in.wav"), Sample::Int16, 48'000, 2, make_signal(Sample::Int16, 2, 24'000, 4));
  const std::string job = "loopback " + quote(path("in.wav").string()) + " " + quote(path("out.wav").string());
  // script(1) (bsdutils, in every Debian) gives the command a pseudo-terminal.
  const std::string tty_command = "script -qec \"" + std::string(WAVERT_CLI_PATH) + " " + job + "\" /dev/null >" +
                                  quote(path("tty.txt").string());
  ASSERT_EQ(std::system(tty_command.c_str()), 0);
  const std::string on_tty = slurp(path("tty.txt"));
  EXPECT_NE(on_tty.find("\rloopback "), std::string::npos) << on_tty;
  EXPECT_NE(on_tty.find("glitches 0"), std::string::npos) << on_tty;
  const Result piped = run(job);
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_TRUE(piped.err.empty()) << piped.err;
  EXPECT_EQ(piped.out.find('\r'), std::string::npos);
}

// ----- loopback -----------------------------------------------------------------------------------

TEST_F(Cli, LoopbackJsonReportsFramesGlitchesLatencyPositionAndBitExact) {
  const auto signal = make_signal(Sample::Int16, 2, 12'000, 11);
  write_wav(path("in.wav"), Sample::Int16, 48'000, 2, signal);
  const Result r = run("loopback --json " + quote(path("in.wav").string()) + " " + quote(path("out.wav").string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("frames"), 12'000);
  EXPECT_EQ(j.at("bitExact"), true);
  EXPECT_EQ(j.at("glitches").at("total"), 0);
  EXPECT_EQ(j.at("glitches").at("render"), 0);
  EXPECT_EQ(j.at("glitches").at("capture"), 0);
  const std::int64_t latency = j.at("latency").at("frames");
  EXPECT_GE(latency, 0);
  EXPECT_DOUBLE_EQ(j.at("latency").at("ms").get<double>(), latency * 1e3 / 48'000);
  EXPECT_EQ(j.at("framesRecorded"), 12'000 + latency);
  EXPECT_GT(j.at("position").at("samples"), 10);
  EXPECT_NEAR(j.at("position").at("rateHz").get<double>(), 48'000, 48'000 * 0.01);
  EXPECT_LT(j.at("position").at("residualMaxMs").get<double>(), 20.0);
  EXPECT_TRUE(j.at("firstMismatchFrame").is_null());
  // OUT is IN after `latency` frames of silence, in IN's format.
  const Audio out = read_audio(path("out.wav"));
  EXPECT_EQ(out.info.format, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  ASSERT_EQ(out.info.frames, 12'000 + latency);
  EXPECT_TRUE(std::all_of(out.samples.begin(), out.samples.begin() + latency * 2, [](double x) { return x == 0; }));
  EXPECT_TRUE(std::equal(signal.begin(), signal.end(), out.samples.begin() + latency * 2));
}

TEST_F(Cli, LoopbackPositionKeepsTheSampleRateWhenBurstsSplitFrames) {
  // 24-bit stereo: a 128-byte DMA burst is 21 1/3 frames, so the position register often stops
  // mid-frame. The client once dropped that partial frame at every read and fell ~1000 ppm behind.
  write_wav(path("in.wav"), Sample::Int24, 48'000, 2, make_signal(Sample::Int24, 2, 96'000, 13));
  const Result r = run("loopback --json " + quote(path("in.wav").string()) + " " + quote(path("out.wav").string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_NEAR(j.at("position").at("rateErrorPpm").get<double>(), 0.0, 20.0);
  EXPECT_LT(j.at("position").at("residualMaxMs").get<double>(), 0.5);
}

TEST_F(Cli, LoopbackFailsItsCheckWhenTheEndpointCannotHoldTheSamples) {
  // 64-bit float samples with detail below float32's precision: the endpoint takes float32 at
  // most, so what comes back is not IN.
  write_wav(path("in.wav"), Sample::Double64, 48'000, 2, make_signal(Sample::Double64, 2, 4'800, 12));
  const Result r = run("loopback --json " + quote(path("in.wav").string()) + " " + quote(path("out.wav").string()));
  EXPECT_EQ(r.exit_code, 1);
  expect_one_line_error(r, "loopback check failed");
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("bitExact"), false);
  EXPECT_EQ(j.at("firstMismatchFrame"), 0);
}

TEST_F(Cli, LoopbackOfExactFloatDataFromA64BitFileIsBitExact) {
  // The same file type holding values float32 represents: converting loses nothing.
  write_wav(path("in.wav"), Sample::Double64, 48'000, 2, make_signal(Sample::Int24, 2, 4'800, 12));
  const Result r = run("loopback " + quote(path("in.wav").string()) + " " + quote(path("out.wav").string()));
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(Cli, LoopbackBadInputIsAUsageErrorAndWritesNothing) {
  write_wav(path("in.wav"), Sample::Int16, 48'000, 2, make_signal(Sample::Int16, 2, 480, 1));
  const std::string in = quote(path("in.wav").string());
  EXPECT_EQ(run("loopback " + quote(path("missing.wav").string()) + " " + quote(path("o.wav").string())).exit_code, 2);
  EXPECT_EQ(run("loopback " + in + " " + quote(path("o.txt").string())).exit_code, 2);
  EXPECT_EQ(run("loopback --buffer-ms 0 " + in + " " + quote(path("o.wav").string())).exit_code, 2);
  EXPECT_EQ(run("loopback " + in).exit_code, 2);
  EXPECT_FALSE(fs::exists(path("o.wav")));
  const Result r = run("loopback " + in + " " + quote(path("no/dir/o.wav").string()));
  EXPECT_EQ(r.exit_code, 3);
  expect_one_line_error(r, "cannot write");
}

struct LoopbackCase {
  Sample sample;
  int channels;
  int rate;
  const char* mode;
};

class LoopbackMatrix : public Cli, public ::testing::WithParamInterface<LoopbackCase> {};

TEST_P(LoopbackMatrix, OutEqualsInBitForBitAfterTheLatency) {
  const LoopbackCase c = GetParam();
  const int frames = c.rate / 2;  // half a second
  const auto signal = make_signal(c.sample, c.channels, frames, static_cast<unsigned>(c.rate + c.channels));
  write_wav(path("in.wav"), c.sample, c.rate, c.channels, signal);
  const Result r = run(std::string("loopback --json --mode ") + c.mode + " " + quote(path("in.wav").string()) + " " +
                       quote(path("out.wav").string()));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("bitExact"), true);
  EXPECT_EQ(j.at("glitches").at("total"), 0);
  const std::int64_t latency = j.at("latency").at("frames");
  const Audio out = read_audio(path("out.wav"));
  EXPECT_EQ(out.info.format, SF_FORMAT_WAV | subtype(c.sample));
  EXPECT_EQ(out.info.channels, c.channels);
  EXPECT_EQ(out.info.samplerate, c.rate);
  ASSERT_EQ(out.info.frames, frames + latency);
  EXPECT_TRUE(std::equal(signal.begin(), signal.end(), out.samples.begin() + latency * c.channels));
}

std::vector<LoopbackCase> loopback_cases() {
  std::vector<LoopbackCase> out;
  for (Sample s : {Sample::Int16, Sample::Int24, Sample::Float32}) {
    for (int channels : {1, 2, 6, 8}) {
      for (const char* mode : {"event", "poll", "packet"}) {
        // Both rates for every format and mode; channel counts alternate between them.
        out.push_back({s, channels, channels % 4 == 2 ? 44'100 : 48'000, mode});
      }
    }
  }
  out.push_back({Sample::Int24, 2, 48'000, "event"});
  out.push_back({Sample::Int16, 1, 44'100, "packet"});
  return out;
}

std::string case_name(const ::testing::TestParamInfo<LoopbackCase>& info) {
  const char* s = info.param.sample == Sample::Int16 ? "int16" : info.param.sample == Sample::Int24 ? "int24" : "float32";
  return std::string(s) + "_" + std::to_string(info.param.channels) + "ch_" + std::to_string(info.param.rate) + "_" +
         info.param.mode;
}

INSTANTIATE_TEST_SUITE_P(Formats, LoopbackMatrix, ::testing::ValuesIn(loopback_cases()), case_name);

}  // namespace
