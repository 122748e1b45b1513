#include "layer/ingest.h"

#include <gtest/gtest.h>

#include "support/compress.h"
#include "support/recording_sink.h"
#include "support/tar_builder.h"

namespace cairn {
namespace {

using test::RecordingSink;
using test::TarBuilder;

std::string sample_tar() {
  return TarBuilder()
      .dir("etc")
      .file("etc/os-release", "ID=cairn\n")
      .file("big", std::string(600000, 'z'))
      .symlink("link", "etc/os-release")
      .finish();
}

std::string compress(const std::string& tar, Compression c) {
  switch (c) {
    case Compression::gzip: return test::gzip(tar);
    case Compression::zstd: return test::zstd(tar);
    case Compression::none: return tar;
  }
  return tar;
}

// A layer whose blob is `blob` and whose digests are computed from `blob`
// and `tar`, as a truthful manifest would state them.
LayerDescriptor make_layer(std::string blob, const std::string& tar, Compression c) {
  LayerDescriptor layer{
      Digest::of(blob), "application/vnd.oci.image.layer.v1.tar", c, blob.size(), Digest::of(tar),
      nullptr};
  // The reader shares ownership of the bytes, so it may outlive the layer.
  auto data = std::make_shared<std::string>(std::move(blob));
  layer.open = [data]() -> Result<std::unique_ptr<Reader>> {
    class Owning final : public Reader {
     public:
      explicit Owning(std::shared_ptr<std::string> d) : m_data(std::move(d)), m_reader(*m_data) {}
      Result<size_t> read(std::span<std::byte> buf) override { return m_reader.read(buf); }

     private:
      std::shared_ptr<std::string> m_data;
      MemoryReader m_reader;
    };
    return std::make_unique<Owning>(data);
  };
  return layer;
}

class IngestCompression : public testing::TestWithParam<Compression> {};

TEST_P(IngestCompression, StreamsEveryEntryAndChecksDigests) {
  std::string tar = sample_tar();
  std::string blob = compress(tar, GetParam());
  RecordingSink sink;
  auto stats = ingest_layer(make_layer(blob, tar, GetParam()), sink);
  ASSERT_TRUE(stats) << stats.error().message();
  EXPECT_EQ(stats->blob_bytes, blob.size());
  EXPECT_EQ(stats->tar_bytes, tar.size());
  EXPECT_EQ(stats->entries, 4u);
  EXPECT_TRUE(sink.finished);
  ASSERT_EQ(sink.entries.size(), 4u);
  EXPECT_EQ(sink.entries[1].content, "ID=cairn\n");
  EXPECT_EQ(sink.entries[2].content, std::string(600000, 'z'));
}

TEST_P(IngestCompression, BytesAfterTheTarEndCountForTheDiffId) {
  std::string tar = sample_tar() + std::string(20000, '\0');
  std::string blob = compress(tar, GetParam());
  RecordingSink sink;
  auto stats = ingest_layer(make_layer(blob, tar, GetParam()), sink);
  ASSERT_TRUE(stats) << stats.error().message();
  EXPECT_EQ(stats->tar_bytes, tar.size());
}

TEST_P(IngestCompression, DiffIdMismatch) {
  std::string tar = sample_tar();
  LayerDescriptor layer = make_layer(compress(tar, GetParam()), tar, GetParam());
  layer.diff_id = Digest::of("something else");
  RecordingSink sink;
  auto stats = ingest_layer(layer, sink);
  ASSERT_FALSE(stats);
  EXPECT_TRUE(stats.error().is(Errc::digest_mismatch));
  EXPECT_EQ(stats.error().context(), "layer " + layer.blob_digest.str() +
                                         ": diff_id mismatch: expected " + layer.diff_id.str() +
                                         ", got " + Digest::of(tar).str());
}

TEST_P(IngestCompression, UnverifiedComputesBothDigestsAndDetectsTheCompression) {
  std::string tar = sample_tar() + std::string(3000, '\0');
  std::string blob = compress(tar, GetParam());
  MemoryReader reader(blob);
  RecordingSink sink;
  auto digests = ingest_unverified(reader, sink);
  ASSERT_TRUE(digests) << digests.error().message();
  EXPECT_EQ(digests->blob_digest, Digest::of(blob));
  EXPECT_EQ(digests->diff_id, Digest::of(tar));
  EXPECT_EQ(digests->compression, GetParam());
  EXPECT_EQ(digests->stats.blob_bytes, blob.size());
  EXPECT_EQ(digests->stats.tar_bytes, tar.size());
  EXPECT_EQ(digests->stats.entries, 4u);
  EXPECT_TRUE(sink.finished);
  ASSERT_EQ(sink.entries.size(), 4u);
  EXPECT_EQ(sink.entries[2].content, std::string(600000, 'z'));
}

TEST_P(IngestCompression, UnverifiedStopsAtTheSinksError) {
  std::string tar = sample_tar();
  std::string blob = compress(tar, GetParam());
  MemoryReader reader(blob);
  RecordingSink sink;
  sink.fail_at = {{2, Error::from_errno(ENOSPC, "write big")}};
  auto digests = ingest_unverified(reader, sink);
  ASSERT_FALSE(digests);
  EXPECT_TRUE(digests.error().is_errno(ENOSPC));
  EXPECT_FALSE(sink.finished);
}

INSTANTIATE_TEST_SUITE_P(Ingest, IngestCompression,
                         testing::Values(Compression::none, Compression::gzip, Compression::zstd));

TEST(Ingest, BlobDigestMismatch) {
  std::string tar = sample_tar();
  LayerDescriptor layer = make_layer(test::gzip(tar), tar, Compression::gzip);
  Digest actual = layer.blob_digest;
  layer.blob_digest = Digest::of("other blob");
  RecordingSink sink;
  auto stats = ingest_layer(layer, sink);
  ASSERT_FALSE(stats);
  EXPECT_TRUE(stats.error().is(Errc::digest_mismatch));
  EXPECT_NE(stats.error().context().find("blob digest mismatch: expected " +
                                         layer.blob_digest.str() + ", got " + actual.str()),
            std::string::npos)
      << stats.error().context();
}

TEST(Ingest, SizeMismatch) {
  std::string tar = sample_tar();
  LayerDescriptor layer = make_layer(tar, tar, Compression::none);
  layer.size = tar.size() + 1;
  RecordingSink sink;
  auto stats = ingest_layer(layer, sink);
  ASSERT_FALSE(stats);
  EXPECT_TRUE(stats.error().is(Errc::digest_mismatch));
  EXPECT_NE(stats.error().context().find("size mismatch"), std::string::npos);
  layer.size = tar.size() - 1;
  stats = ingest_layer(layer, sink);
  ASSERT_FALSE(stats);
  EXPECT_TRUE(stats.error().is(Errc::digest_mismatch));
  EXPECT_NE(stats.error().context().find("size mismatch: expected " +
                                         std::to_string(tar.size() - 1) + " bytes, got more"),
            std::string::npos)
      << stats.error().context();
  layer.size.reset();
  EXPECT_TRUE(ingest_layer(layer, sink));
}

TEST(Ingest, DetectsGzipWhenTheMediaTypeSaysNothing) {
  std::string tar = sample_tar();
  RecordingSink sink;
  auto stats = ingest_layer(make_layer(test::gzip(tar), tar, Compression::none), sink);
  ASSERT_TRUE(stats) << stats.error().message();
  EXPECT_EQ(stats->entries, 4u);
}

TEST(Ingest, MultiMemberGzipOfATarWithoutEndBlocks) {
  using test::TarTrailer;
  std::string first = TarBuilder().file("a", "1").finish(TarTrailer::none);
  std::string second = TarBuilder().file("b", std::string(70000, 'b')).finish(TarTrailer::none);
  std::string tar = first + second;
  RecordingSink sink;
  auto stats = ingest_layer(
      make_layer(test::gzip(first) + test::gzip(second), tar, Compression::gzip), sink);
  ASSERT_TRUE(stats) << stats.error().message();
  ASSERT_EQ(sink.entries.size(), 2u);
  EXPECT_EQ(sink.entries[1].content, std::string(70000, 'b'));
}

TEST(Ingest, SinkErrorAbortsIngest) {
  std::string tar = sample_tar();
  RecordingSink sink;
  sink.fail_at = {{1, Error::from_errno(ENOSPC, "write objects/ab/cd")}};
  auto stats = ingest_layer(make_layer(test::zstd(tar), tar, Compression::zstd), sink);
  ASSERT_FALSE(stats);
  EXPECT_TRUE(stats.error().is_errno(ENOSPC));
  EXPECT_NE(stats.error().context().find("write objects/ab/cd"), std::string::npos);
  EXPECT_EQ(sink.entries.size(), 1u);
  EXPECT_FALSE(sink.finished);
}

TEST(Ingest, CorruptOrTruncatedInputIsBadInputAndNotFinished) {
  std::string tar = sample_tar();
  std::string gz = test::gzip(tar);
  std::string zst = test::zstd(tar);
  struct Case {
    std::string what;
    std::string blob;
    Compression compression;
    std::string message;
  } cases[] = {
      {"truncated gzip", gz.substr(0, gz.size() - 100), Compression::gzip,
       "gzip: unexpected end of stream"},
      {"truncated zstd", zst.substr(0, zst.size() - 100), Compression::zstd,
       "zstd: unexpected end of stream"},
      {"truncated tar", tar.substr(0, 2000), Compression::none, "truncated tar"},
      {"gzip declared, plain given", tar, Compression::gzip, "gzip: "},
  };
  for (const auto& c : cases) {
    RecordingSink sink;
    auto stats = ingest_layer(make_layer(c.blob, tar, c.compression), sink);
    ASSERT_FALSE(stats) << c.what;
    EXPECT_TRUE(stats.error().is(Errc::bad_input)) << c.what;
    EXPECT_NE(stats.error().context().find(c.message), std::string::npos)
        << c.what << ": " << stats.error().message();
    EXPECT_FALSE(sink.finished) << c.what;
  }
}

TEST(Ingest, OpenErrorIsReported) {
  LayerDescriptor layer = make_layer("", "", Compression::none);
  layer.open = []() -> Result<std::unique_ptr<Reader>> {
    return fail(Errc::not_found, "blob sha256:00");
  };
  RecordingSink sink;
  auto stats = ingest_layer(layer, sink);
  ASSERT_FALSE(stats);
  EXPECT_TRUE(stats.error().is(Errc::not_found));
}

}  // namespace
}  // namespace cairn
