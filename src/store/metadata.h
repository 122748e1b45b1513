// The store's metadata: images, their names and layers, layer statistics and
// the store's own settings, in one SQLite database (cairn.db).
// Schema and meaning of every column: doc/store-format.md.
//
// Thread-safety: one Metadata per thread. Several processes may use the same
// database at once; SQLite serializes writers (busy timeout 60 s) and every
// multi-row change is one transaction, so readers see an image whole or not
// at all.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "oci/digest.h"
#include "store/sqlite.h"
#include "util/error.h"

namespace cairn {

struct LayerRecord {
  Digest diff_id;
  Digest chain_id;
  std::optional<Digest> blob_digest;
  std::string media_type;
  std::optional<std::uint64_t> blob_size;
  std::uint64_t tar_size = 0;  // uncompressed bytes, 0 if never ingested here
};

struct ImageRecord {
  Digest id;  // the config digest
  std::optional<Digest> manifest_digest;
  std::string source;
  std::string config;
  Digest top_chain;
  std::int64_t created = 0;  // unix seconds of the import
  std::vector<std::string> names;
  std::vector<LayerRecord> layers;  // base first
};

// A layer blob cairn compressed itself and pushed: the digest and size that
// (diff_id, compression) gave (schema version 4), and the annotations its
// descriptor carries (zstd:chunked: where the TOC is; schema version 5).
struct PushedLayerBlob {
  Digest digest;
  std::uint64_t size = 0;
  std::map<std::string, std::string> annotations;
};

// A container: a writable copy of an image's rootfs kept by the backend.
struct ContainerRecord {
  std::string name;
  Digest image_id;
  std::int64_t created = 0;  // unix seconds
};

class Metadata {
 public:
  // Opens ROOT/cairn.db, creating or upgrading the schema.
  static Result<Metadata> open(const std::string& path);

  Result<std::optional<std::string>> setting(const std::string& key);
  Result<void> set_setting(const std::string& key, const std::string& value);
  // Several at once, in one transaction.
  Result<void> set_settings(std::span<const std::pair<std::string, std::string>> settings);

  // Records an uncompressed layer's size once it has been ingested.
  Result<void> record_layer(const Digest& diff_id, std::uint64_t tar_size);

  // Inserts the image (or keeps an existing one) and points `name`, if
  // given, at it, moving the name off any other image; records the size of
  // each layer whose tar_size is not 0, as record_layer. One transaction.
  // A name check_image_name() refuses is Errc::usage, and nothing is written.
  // MANIFEST (the raw bytes image.manifest_digest names; empty: none known)
  // is stored with the image unless it has one, or its row another digest.
  Result<void> put_image(const ImageRecord& image, const std::optional<std::string>& name,
                         std::string_view manifest = {});
  // The raw manifest stored with the image (schema version 3), if any.
  Result<std::optional<std::string>> image_manifest(const Digest& id);

  // What compressing layer DIFF_ID with COMPRESSION ("gzip", "zstd") gave
  // when it was last pushed, so that a later push can ask the registry for
  // the blob (HEAD) before compressing it again. A cache: rows are never
  // needed for correctness, gc leaves them (a few per layer).
  Result<std::optional<PushedLayerBlob>> pushed_blob(const Digest& diff_id,
                                                     std::string_view compression);
  Result<void> record_pushed_blob(const Digest& diff_id, std::string_view compression,
                                  const PushedLayerBlob& blob);

  Result<std::vector<ImageRecord>> list_images();
  Result<std::optional<ImageRecord>> find_image(const Digest& id);
  // A name, a full id ("sha256:…" or its hex) or a unique prefix of the hex
  // (at least 4 digits). Errc::not_found, or Errc::usage if ambiguous.
  Result<ImageRecord> resolve_image(const std::string& ref);

  // Removes a name; returns the image it named.
  Result<std::optional<Digest>> remove_name(const std::string& name);
  Result<void> remove_image(const Digest& id);

  // Containers (schema version 2). add_container fails with
  // Errc::already_exists if NAME is taken.
  Result<void> add_container(const ContainerRecord& container);
  Result<std::optional<ContainerRecord>> find_container(const std::string& name);
  Result<std::vector<ContainerRecord>> list_containers();
  Result<void> remove_container(const std::string& name);

  // What SQLite's integrity_check and foreign_key_check find wrong with the
  // database, one line each; empty when it is sound (metadata_check.cc).
  Result<std::vector<std::string>> integrity_problems();

 private:
  explicit Metadata(sqlite::Db db) : m_db(std::move(db)) {}
  Result<void> migrate();
  Result<void> load_details(ImageRecord& image);
  Result<std::vector<Digest>> image_ids_matching(const std::string& ref);

  sqlite::Db m_db;
};

}  // namespace cairn
