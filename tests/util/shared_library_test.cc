#include "util/shared_library.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

#include "layer/archive_library.h"
#include "source/curl_library.h"

namespace cairn {
namespace {

TEST(SharedLibrary, BindsTypedEntryPoints) {
  auto libc = SharedLibrary::open("libc.so.6", "libc6");
  ASSERT_TRUE(libc) << libc.error().message();
  decltype(&::strlen) length = nullptr;
  ASSERT_TRUE(libc->bind("strlen", length));
  EXPECT_EQ(length("cairn"), 5u);
}

TEST(SharedLibrary, MissingLibraryNamesItAndItsPackage) {
  auto missing = SharedLibrary::open("libcairn-nonexistent.so.1", "cairn-nothing");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), std::error_code(ELIBACC, std::generic_category()));
  EXPECT_NE(missing.error().message().find("libcairn-nonexistent.so.1"), std::string::npos);
  EXPECT_NE(missing.error().message().find("cairn-nothing"), std::string::npos);
}

TEST(SharedLibrary, MissingSymbolNamesItAndTheLibrary) {
  auto libc = SharedLibrary::open("libc.so.6", "libc6");
  ASSERT_TRUE(libc) << libc.error().message();
  void (*nothing)() = nullptr;
  auto bound = libc->bind("cairn_no_such_function", nothing);
  ASSERT_FALSE(bound);
  EXPECT_NE(bound.error().message().find("cairn_no_such_function"), std::string::npos);
  EXPECT_NE(bound.error().message().find("libc.so.6"), std::string::npos);
  EXPECT_EQ(nothing, nullptr);
}

// The libraries cairn opens on demand load, and every entry point it lists
// is there; the same struct comes back each time.
TEST(SharedLibrary, OnDemandLibrariesLoadOnce) {
  auto curl = curl_library();
  ASSERT_TRUE(curl) << curl.error().message();
  EXPECT_NE((*curl)->curl_easy_init, nullptr);
  EXPECT_EQ(*curl_library(), *curl);
  auto archive = archive_library();
  ASSERT_TRUE(archive) << archive.error().message();
  EXPECT_NE((*archive)->archive_read_new, nullptr);
  EXPECT_EQ(*archive_library(), *archive);
}

}  // namespace
}  // namespace cairn
