// A download on a thread of its own, holding one of its registry client's
// FetchSlots while it runs, that writes into a BytePipe its owner reads:
// the shape of every streamed blob reader (source/registry_blob.cc,
// source/registry_ranges.cc).
//
// The thread starts in the constructor: it waits for a slot (giving up when
// the pipe is cancelled), runs `download`, releases the slot and closes the
// pipe with download's result. The destructor cancels the pipe and joins the
// thread. Make it the owner's last member, so that the download starts after,
// and stops before, everything it uses.
#pragma once

#include <cstddef>
#include <functional>
#include <thread>

#include "source/registry_client.h"
#include "util/byte_pipe.h"
#include "util/error.h"

namespace cairn {

class SlotDownload {
 public:
  SlotDownload(FetchSlots& slots, size_t buffer, std::function<Result<void>()> download);
  ~SlotDownload();
  SlotDownload(const SlotDownload&) = delete;
  SlotDownload& operator=(const SlotDownload&) = delete;

  BytePipe& pipe() { return m_pipe; }

 private:
  void run();

  FetchSlots& m_slots;
  BytePipe m_pipe;
  std::function<Result<void>()> m_download;
  std::thread m_thread;  // last: starts once everything above exists
};

}  // namespace cairn
