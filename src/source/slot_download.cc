#include "source/slot_download.h"

#include <utility>

namespace cairn {

SlotDownload::SlotDownload(FetchSlots& slots, size_t buffer, std::function<Result<void>()> download)
    : m_slots(slots),
      m_pipe(buffer),
      m_download(std::move(download)),
      m_thread([this] { run(); }) {}

SlotDownload::~SlotDownload() {
  m_pipe.cancel();
  m_thread.join();
}

void SlotDownload::run() {
  if (!m_slots.acquire([this] { return m_pipe.cancelled(); })) {
    m_pipe.close({});
    return;
  }
  Result<void> status = m_download();
  m_slots.release();
  m_pipe.close(std::move(status));
}

}  // namespace cairn
