#include "util/byte_pipe.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace cairn {
namespace {

std::string drain_pipe(BytePipe& pipe, size_t chunk) {
  std::string out;
  std::vector<std::byte> buf(chunk);
  for (;;) {
    auto n = pipe.read(buf);
    EXPECT_TRUE(n);
    if (!n || *n == 0) return out;
    out.append(reinterpret_cast<const char*>(buf.data()), *n);
  }
}

TEST(BytePipe, CarriesMoreThanItsCapacityInOrder) {
  for (size_t chunk : {1, 7, 4096}) {
    BytePipe pipe(13);
    std::string data;
    for (int i = 0; i < 5000; ++i) data += static_cast<char>('a' + i % 26);
    std::thread producer([&] {
      EXPECT_TRUE(pipe.write(std::as_bytes(std::span(data))));
      pipe.close({});
    });
    EXPECT_EQ(drain_pipe(pipe, chunk), data);
    producer.join();
  }
}

TEST(BytePipe, ErrorComesAfterTheBytesBeforeIt) {
  BytePipe pipe(64);
  std::string data = "abc";
  ASSERT_TRUE(pipe.write(std::as_bytes(std::span(data))));
  pipe.close(fail(Errc::digest_mismatch, "blob x"));
  std::byte buf[8];
  auto n = pipe.read(buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 3u);
  auto end = pipe.read(buf);
  ASSERT_FALSE(end);
  EXPECT_TRUE(end.error().is(Errc::digest_mismatch));
}

TEST(BytePipe, CancelWakesABlockedProducer) {
  BytePipe pipe(4);
  std::string data(100, 'x');
  std::thread producer([&] { EXPECT_FALSE(pipe.write(std::as_bytes(std::span(data)))); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  pipe.cancel();
  producer.join();
  EXPECT_TRUE(pipe.cancelled());
}

}  // namespace
}  // namespace cairn
