// IndexSink and ObjectStore: what a layer leaves in the index and the object
// store, content dedup, inline small files, sparse files, and that nothing
// reaches the store before publish().
#include "backend/composefs/index_sink.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support/entry_fixtures.h"
#include "util/sys.h"
#include "util/temp_dir.h"

namespace cairn::composefs {
namespace {

using cairn::testing::Layer;

struct Fixture {
  TempDir tmp = *TempDir::create("/tmp", "cairn-cfs-sink-");
  std::string objects_dir = tmp.path() + "/objects";
  ObjectStore objects{objects_dir};

  Fixture() { EXPECT_TRUE(sys::make_dirs(objects_dir)); }

  Result<LayerIndex> ingest(const Layer& layer, bool publish = true) {
    std::string staging = tmp.path() + "/staging-" + std::to_string(m_layers++);
    TRY(sys::make_dirs(staging));
    IndexSink sink(objects, staging);
    TRY(cairn::testing::apply_layer(sink, layer));
    if (publish) TRY(sink.publish());
    ASSIGN_OR_RETURN(std::string text, sys::read_file(sink.staged_index()));
    return parse_index(text);
  }

 private:
  int m_layers = 0;
};

std::string repeat(char c, size_t n) {
  return std::string(n, c);
}

TEST(IndexSink, LargeFilesBecomeObjectsNamedByTheirVerityDigest) {
  Fixture f;
  std::string big = repeat('a', 5000);
  auto index = f.ingest({cairn::testing::file("big", big)});
  ASSERT_TRUE(index) << index.error().message();
  ASSERT_EQ(index->entries.size(), 1u);
  const IndexEntry& e = index->entries[0];
  ASSERT_TRUE(e.object);
  EXPECT_EQ(*e.object, erofs::fsverity_digest(big));
  EXPECT_EQ(e.size, big.size());
  EXPECT_TRUE(e.data.empty());
  auto stored = sys::read_file(f.objects.path_of(*e.object));
  ASSERT_TRUE(stored);
  EXPECT_EQ(*stored, big);
  std::string hex = erofs::verity_hex(*e.object);
  EXPECT_EQ(f.objects.path_of(*e.object),
            f.objects_dir + "/" + hex.substr(0, 2) + "/" + hex.substr(2));
}

TEST(IndexSink, SmallFilesStayInline) {
  Fixture f;
  auto index =
      f.ingest({cairn::testing::file("s64", repeat('b', 64)),
                cairn::testing::file("s65", repeat('c', 65)), cairn::testing::file("empty", "")});
  ASSERT_TRUE(index) << index.error().message();
  EXPECT_FALSE(index->entries[0].object);
  EXPECT_EQ(index->entries[0].data, repeat('b', 64));
  EXPECT_TRUE(index->entries[1].object);
  EXPECT_FALSE(index->entries[2].object);
  auto objects = f.objects.list();
  ASSERT_TRUE(objects);
  EXPECT_EQ(objects->size(), 1u);
}

TEST(IndexSink, IdenticalContentIsStoredOnceAcrossLayers) {
  Fixture f;
  std::string content = repeat('z', 10000);
  ASSERT_TRUE(f.ingest({cairn::testing::file("a", content), cairn::testing::file("b", content)}));
  auto before = sys::stat(f.objects.path_of(erofs::fsverity_digest(content)));
  ASSERT_TRUE(before);
  ASSERT_TRUE(f.ingest({cairn::testing::file("c", content)}));
  auto objects = f.objects.list();
  ASSERT_TRUE(objects);
  EXPECT_EQ(objects->size(), 1u);
  auto after = sys::stat(f.objects.path_of(erofs::fsverity_digest(content)));
  ASSERT_TRUE(after);
  EXPECT_EQ(before->st_ino, after->st_ino) << "an existing object is never rewritten";
  EXPECT_EQ(after->st_nlink, 1u) << "staged files are not left linked";
}

TEST(IndexSink, SparseFilesAreStoredInFull) {
  Fixture f;
  auto index = f.ingest({cairn::testing::sparse_file("sp", 3 << 20, {{1 << 20, "data"}})});
  ASSERT_TRUE(index) << index.error().message();
  std::string want(3 << 20, '\0');
  want.replace(1 << 20, 4, "data");
  ASSERT_TRUE(index->entries[0].object);
  EXPECT_EQ(*index->entries[0].object, erofs::fsverity_digest(want));
  auto stored = sys::read_file(f.objects.path_of(*index->entries[0].object));
  ASSERT_TRUE(stored);
  EXPECT_EQ(*stored, want);
}

TEST(IndexSink, NothingReachesTheStoreBeforePublish) {
  Fixture f;
  auto index = f.ingest({cairn::testing::file("big", repeat('q', 1000))}, false);
  ASSERT_TRUE(index);
  auto objects = f.objects.list();
  ASSERT_TRUE(objects);
  EXPECT_TRUE(objects->empty());
}

TEST(IndexSink, ClassifiesAndRefusesPaths) {
  Fixture f;
  auto index = f.ingest({cairn::testing::dir("./etc/"), cairn::testing::marker("etc/.wh.old"),
                         cairn::testing::marker("/var/.wh..wh..opq"),
                         cairn::testing::hardlink("h", "./etc/../x")});
  ASSERT_TRUE(index) << index.error().message();
  ASSERT_EQ(index->entries.size(), 4u);
  EXPECT_EQ(index->entries[0].op, IndexOp::directory);
  EXPECT_EQ(index->entries[0].path, "etc");
  EXPECT_EQ(index->entries[1].op, IndexOp::whiteout);
  EXPECT_EQ(index->entries[1].path, "etc/old");
  EXPECT_EQ(index->entries[2].op, IndexOp::opaque);
  EXPECT_EQ(index->entries[2].path, "var");
  EXPECT_EQ(index->entries[3].data, "x");
  for (const Layer& evil : std::vector<Layer>{{cairn::testing::file("../x", "")},
                                              {cairn::testing::hardlink("h", "../../etc")},
                                              {cairn::testing::marker("a/.wh..")},
                                              {cairn::testing::file(".", "")}}) {
    auto refused = f.ingest(evil);
    ASSERT_FALSE(refused) << evil[0].entry.path;
    EXPECT_TRUE(refused.error().is(Errc::unsafe_path)) << refused.error().message();
  }
}

// overlayfs hides a char 0/0 from every layer, so composefs refuses it by
// name instead of storing something the mount would not show; any other
// device number, and a block device 0/0, is stored as it is.
TEST(IndexSink, RefusesCharacterDeviceZeroZero) {
  Fixture f;
  auto refused = f.ingest({cairn::testing::device("dev/wh", EntryType::char_device, 0, 0)});
  ASSERT_FALSE(refused);
  EXPECT_TRUE(refused.error().is(Errc::unsupported)) << refused.error().message();
  EXPECT_NE(refused.error().message().find("dev/wh"), std::string::npos)
      << refused.error().message();
  EXPECT_NE(refused.error().message().find("0/0"), std::string::npos);

  auto kept = f.ingest({cairn::testing::device("dev/null", EntryType::char_device, 1, 3),
                        cairn::testing::device("dev/c01", EntryType::char_device, 0, 1),
                        cairn::testing::device("dev/b00", EntryType::block_device, 0, 0)});
  ASSERT_TRUE(kept) << kept.error().message();
  ASSERT_EQ(kept->entries.size(), 3u);
  EXPECT_EQ(kept->entries[0].op, IndexOp::char_device);
  EXPECT_EQ(kept->entries[2].op, IndexOp::block_device);
}

}  // namespace
}  // namespace cairn::composefs
