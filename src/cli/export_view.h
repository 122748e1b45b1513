// A readable tree of an image for export: the backend's own (dir, btrfs,
// zfs), or else a private mount under ROOT/mounts that is undone on
// destruction (composefs).
#pragma once

#include <string>
#include <utility>

#include "store/store.h"
#include "util/error.h"

namespace cairn::cli {

class ExportView {
 public:
  static Result<ExportView> open(Store& store, const Digest& top);
  ExportView(ExportView&& other) noexcept
      : m_backend(other.m_backend),
        m_path(std::move(other.m_path)),
        m_mounted(std::exchange(other.m_mounted, false)) {}
  ExportView(const ExportView&) = delete;
  ExportView& operator=(const ExportView&) = delete;
  ExportView& operator=(ExportView&&) = delete;
  ~ExportView();
  const std::string& path() const { return m_path; }

 private:
  ExportView(Backend& backend, std::string path, bool mounted)
      : m_backend(backend), m_path(std::move(path)), m_mounted(mounted) {}
  Backend& m_backend;
  std::string m_path;
  bool m_mounted;
};

}  // namespace cairn::cli
