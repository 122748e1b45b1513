// Destinations for image bytes. The writer streams the image front to back
// through an ImageSink, so tests can capture it in memory and the CLI can
// write it to a file.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "util/error.h"

namespace cairn::erofs {

class ImageSink {
 public:
  virtual ~ImageSink() = default;
  virtual Result<void> write(std::span<const std::byte> data) = 0;
};

// Collects the image in memory.
class StringImageSink final : public ImageSink {
 public:
  Result<void> write(std::span<const std::byte> data) override {
    m_data.append(reinterpret_cast<const char*>(data.data()), data.size());
    return {};
  }
  const std::string& data() const { return m_data; }

 private:
  std::string m_data;
};

// Writes to a file descriptor the caller owns, at its current offset.
class FdImageSink final : public ImageSink {
 public:
  FdImageSink(int fd, std::string name) : m_fd(fd), m_name(std::move(name)) {}
  Result<void> write(std::span<const std::byte> data) override;

 private:
  int m_fd;
  std::string m_name;
};

// Discards the bytes (for digest-only runs).
class NullImageSink final : public ImageSink {
 public:
  Result<void> write(std::span<const std::byte>) override { return {}; }
};

}  // namespace cairn::erofs
