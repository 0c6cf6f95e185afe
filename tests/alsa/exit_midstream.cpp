// A program that exits with a wavert PCM still running: exit_midstream PCM main|thread.
//   main    writes a few periods, then calls exit(0) with the PCM open and running.
//   thread  a second thread keeps writing while the main thread calls exit(0).
// The plugin must let the process end (exit status 0, no hang, no crash).
#include <alsa/asoundlib.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

namespace {

snd_pcm_t* open_running(const char* name) {
  snd_pcm_t* pcm = nullptr;
  if (int err = snd_pcm_open(&pcm, name, SND_PCM_STREAM_PLAYBACK, 0); err < 0) {
    std::fprintf(stderr, "exit_midstream: cannot open %s: %s\n", name, snd_strerror(err));
    std::exit(2);
  }
  if (int err = snd_pcm_set_params(pcm, SND_PCM_FORMAT_S16_LE, SND_PCM_ACCESS_RW_INTERLEAVED, 2, 48000, 0, 100000); err < 0) {
    std::fprintf(stderr, "exit_midstream: cannot set parameters: %s\n", snd_strerror(err));
    std::exit(2);
  }
  return pcm;
}

void play(snd_pcm_t* pcm, int periods, const std::atomic<bool>* forever) {
  std::vector<short> frames(2 * 2400, 1000);
  for (int i = 0; i < periods || (forever != nullptr && forever->load()); ++i) {
    snd_pcm_sframes_t n = snd_pcm_writei(pcm, frames.data(), 2400);
    if (n < 0) n = snd_pcm_recover(pcm, static_cast<int>(n), 1);
    if (n < 0) return;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: exit_midstream PCM main|thread\n");
    return 2;
  }
  snd_pcm_t* pcm = open_running(argv[1]);
  if (std::strcmp(argv[2], "main") == 0) {
    play(pcm, 6, nullptr);
    std::exit(0);
  }
  static std::atomic<bool> keep_going{true};
  std::thread writer(play, pcm, 0, &keep_going);
  writer.detach();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::exit(0);
}
