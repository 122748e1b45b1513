// A GoogleTest fixture that gives each test a fresh temporary directory,
// removed after the test. Fixtures that need more set-up derive from it and
// call TempDirTest::SetUp() first:
//
//   void SetUp() override {
//     TempDirTest::SetUp();
//     if (HasFatalFailure()) return;
//     ...
//   }
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "util/temp_dir.h"

namespace cairn::testing {

class TempDirTest : public ::testing::Test {
 protected:
  // PARENT: where the directory is made; "/var/tmp" for tests that need a
  // disk filesystem (xattrs, fs-verity, large files) rather than tmpfs.
  explicit TempDirTest(std::string parent = "/tmp") : m_parent(std::move(parent)) {}

  // Creates PARENT/cairn-<suite>-XXXXXX; failing to is a fatal failure.
  void SetUp() override;

  const std::string& temp_dir() const { return m_dir->path(); }
  std::string path(const std::string& name) const { return temp_dir() + "/" + name; }
  // Writes BYTES to path(NAME) (a failure fails the test) and returns the path.
  std::string write_file(const std::string& name, const std::string& bytes) const;

 private:
  std::string m_parent;
  std::optional<TempDir> m_dir;
};

}  // namespace cairn::testing
