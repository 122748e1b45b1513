#include "store/metadata.h"

#include <ctime>
#include <nlohmann/json.hpp>

#include "store/image_name.h"

namespace cairn {
namespace {

// Version 2 added the containers table, version 3 image_manifests, version 4
// pushed_blobs, version 5 pushed_blob_annotations; an older store is upgraded
// in place (the tables are created, nothing else changes).
constexpr int k_schema_version = 5;

constexpr std::string_view k_schema = R"sql(
CREATE TABLE IF NOT EXISTS settings(
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS images(
  id TEXT PRIMARY KEY,
  manifest_digest TEXT,
  source TEXT NOT NULL,
  config TEXT NOT NULL,
  top_chain TEXT NOT NULL,
  created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS image_layers(
  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  diff_id TEXT NOT NULL,
  chain_id TEXT NOT NULL,
  blob_digest TEXT,
  media_type TEXT NOT NULL,
  blob_size INTEGER,
  PRIMARY KEY(image_id, idx));
CREATE INDEX IF NOT EXISTS image_layers_chain ON image_layers(chain_id);
CREATE TABLE IF NOT EXISTS names(
  name TEXT PRIMARY KEY,
  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS layers(
  diff_id TEXT PRIMARY KEY,
  tar_size INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS containers(
  name TEXT PRIMARY KEY,
  image_id TEXT NOT NULL REFERENCES images(id),
  created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS image_manifests(
  image_id TEXT PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
  manifest TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pushed_blobs(
  diff_id TEXT NOT NULL,
  compression TEXT NOT NULL,
  blob_digest TEXT NOT NULL,
  blob_size INTEGER NOT NULL,
  PRIMARY KEY(diff_id, compression));
CREATE TABLE IF NOT EXISTS pushed_blob_annotations(
  blob_digest TEXT PRIMARY KEY,
  annotations TEXT NOT NULL);
)sql";

Result<Digest> column_digest(const sqlite::Statement& row, int column) {
  return Digest::parse(row.text(column));
}

Result<std::optional<Digest>> column_optional_digest(const sqlite::Statement& row, int column) {
  auto text = row.optional_text(column);
  if (!text) return std::optional<Digest>();
  ASSIGN_OR_RETURN(Digest d, Digest::parse(*text));
  return std::optional<Digest>(std::move(d));
}

bool is_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

Result<Metadata> Metadata::open(const std::string& path) {
  ASSIGN_OR_RETURN(sqlite::Db db, sqlite::Db::open(path));
  Metadata metadata(std::move(db));
  TRY(metadata.migrate());
  return metadata;
}

// The schema version lives twice: in settings (what `inspect` and older
// cairn versions read) and in the database header's user_version, which
// SQLite reads without parsing anything, so that opening an up-to-date store
// (every command does) runs no schema statements.
Result<void> Metadata::migrate() {
  const std::string known = std::to_string(k_schema_version);
  auto newer = [&known](const std::string& version) {
    return fail(Errc::unsupported,
                "store schema version " + version + " (this cairn knows " + known + ")");
  };
  ASSIGN_OR_RETURN(auto header, m_db.prepare("PRAGMA user_version"));
  ASSIGN_OR_RETURN(bool row, header.step());
  const std::int64_t stamped = row ? header.integer(0) : 0;
  if (stamped == k_schema_version) return {};
  if (stamped > k_schema_version) return newer(std::to_string(stamped));
  // One transaction: one journal sync instead of one per table.
  ASSIGN_OR_RETURN(auto txn, sqlite::Transaction::begin(m_db));
  TRY(m_db.exec(k_schema));
  ASSIGN_OR_RETURN(auto version, setting("schema_version"));
  const std::string stored = version.value_or(known);
  if (stored != "1" && stored != "2" && stored != "3" && stored != "4" && stored != known)
    return newer(stored);
  TRY(set_setting("schema_version", known));
  TRY(m_db.exec("PRAGMA user_version = " + known));
  return txn.commit();
}

Result<std::optional<std::string>> Metadata::setting(const std::string& key) {
  ASSIGN_OR_RETURN(auto stmt, m_db.prepare("SELECT value FROM settings WHERE key = ?"));
  stmt.bind(1, key);
  ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(stmt.text(0));
}

Result<void> Metadata::set_setting(const std::string& key, const std::string& value) {
  ASSIGN_OR_RETURN(auto stmt, m_db.prepare("INSERT OR REPLACE INTO settings VALUES(?, ?)"));
  return stmt.bind(1, key).bind(2, value).run();
}

Result<void> Metadata::set_settings(std::span<const std::pair<std::string, std::string>> settings) {
  ASSIGN_OR_RETURN(auto txn, sqlite::Transaction::begin(m_db));
  for (const auto& [key, value] : settings) TRY(set_setting(key, value));
  return txn.commit();
}

Result<void> Metadata::record_layer(const Digest& diff_id, std::uint64_t tar_size) {
  ASSIGN_OR_RETURN(auto stmt, m_db.prepare("INSERT OR REPLACE INTO layers VALUES(?, ?)"));
  return stmt.bind(1, diff_id.str()).bind(2, static_cast<std::int64_t>(tar_size)).run();
}

namespace {

Result<void> insert_layers(sqlite::Db& db, const ImageRecord& image) {
  ASSIGN_OR_RETURN(auto stmt, db.prepare("INSERT INTO image_layers VALUES(?, ?, ?, ?, ?, ?, ?)"));
  for (size_t i = 0; i < image.layers.size(); ++i) {
    const LayerRecord& layer = image.layers[i];
    stmt.bind(1, image.id.str()).bind(2, static_cast<std::int64_t>(i));
    stmt.bind(3, layer.diff_id.str()).bind(4, layer.chain_id.str());
    stmt.bind_optional(5,
                       layer.blob_digest ? std::optional(layer.blob_digest->str()) : std::nullopt);
    stmt.bind(6, layer.media_type);
    if (layer.blob_size) {
      stmt.bind(7, static_cast<std::int64_t>(*layer.blob_size));
    } else {
      stmt.bind_null(7);
    }
    TRY(stmt.run());
  }
  return {};
}

Result<void> insert_image_row(sqlite::Db& db, const ImageRecord& image) {
  ASSIGN_OR_RETURN(auto stmt, db.prepare("INSERT INTO images VALUES(?, ?, ?, ?, ?, ?)"));
  stmt.bind(1, image.id.str());
  stmt.bind_optional(
      2, image.manifest_digest ? std::optional(image.manifest_digest->str()) : std::nullopt);
  stmt.bind(3, image.source).bind(4, image.config).bind(5, image.top_chain.str());
  stmt.bind(6, image.created ? image.created : static_cast<std::int64_t>(std::time(nullptr)));
  return stmt.run();
}

Result<bool> image_exists(sqlite::Db& db, const Digest& id) {
  ASSIGN_OR_RETURN(auto stmt, db.prepare("SELECT 1 FROM images WHERE id = ?"));
  stmt.bind(1, id.str());
  return stmt.step();
}

}  // namespace

Result<void> Metadata::put_image(const ImageRecord& image, const std::optional<std::string>& name,
                                 std::string_view manifest) {
  if (name) TRY(check_image_name(*name));
  ASSIGN_OR_RETURN(auto txn, sqlite::Transaction::begin(m_db));
  ASSIGN_OR_RETURN(bool exists, image_exists(m_db, image.id));
  if (!exists) {
    TRY(insert_image_row(m_db, image));
    TRY(insert_layers(m_db, image));
  }
  for (const LayerRecord& layer : image.layers) {
    if (layer.tar_size == 0) continue;
    ASSIGN_OR_RETURN(auto stmt, m_db.prepare("INSERT OR REPLACE INTO layers VALUES(?, ?)"));
    TRY(stmt.bind(1, layer.diff_id.str()).bind(2, static_cast<std::int64_t>(layer.tar_size)).run());
  }
  if (!manifest.empty() && image.manifest_digest) {
    // Kept with the digest the image row has: the manifest of its first import.
    ASSIGN_OR_RETURN(auto stmt,
                     m_db.prepare("INSERT OR IGNORE INTO image_manifests SELECT id, ? FROM images "
                                  "WHERE id = ? AND manifest_digest = ?"));
    TRY(stmt.bind(1, manifest).bind(2, image.id.str()).bind(3, image.manifest_digest->str()).run());
  }
  if (name) {
    ASSIGN_OR_RETURN(auto stmt, m_db.prepare("INSERT OR REPLACE INTO names VALUES(?, ?)"));
    TRY(stmt.bind(1, *name).bind(2, image.id.str()).run());
  }
  return txn.commit();
}

Result<std::vector<ImageRecord>> Metadata::list_images() {
  ASSIGN_OR_RETURN(auto stmt, m_db.prepare("SELECT id FROM images ORDER BY created, id"));
  std::vector<Digest> ids;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) break;
    ASSIGN_OR_RETURN(Digest id, column_digest(stmt, 0));
    ids.push_back(std::move(id));
  }
  std::vector<ImageRecord> images;
  for (const Digest& id : ids) {
    ASSIGN_OR_RETURN(auto image, find_image(id));
    if (image) images.push_back(std::move(*image));
  }
  return images;
}

Result<std::optional<ImageRecord>> Metadata::find_image(const Digest& id) {
  ASSIGN_OR_RETURN(
      auto stmt,
      m_db.prepare(
          "SELECT manifest_digest, source, config, top_chain, created FROM images WHERE id = ?"));
  stmt.bind(1, id.str());
  ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return std::optional<ImageRecord>();
  ASSIGN_OR_RETURN(auto manifest_digest, column_optional_digest(stmt, 0));
  ASSIGN_OR_RETURN(Digest top, column_digest(stmt, 3));
  ImageRecord image{.id = id,
                    .manifest_digest = std::move(manifest_digest),
                    .source = stmt.text(1),
                    .config = stmt.text(2),
                    .top_chain = std::move(top),
                    .created = stmt.integer(4),
                    .names = {},
                    .layers = {}};
  TRY(load_details(image));
  return std::optional<ImageRecord>(std::move(image));
}

Result<void> Metadata::load_details(ImageRecord& image) {
  ASSIGN_OR_RETURN(auto names,
                   m_db.prepare("SELECT name FROM names WHERE image_id = ? ORDER BY name"));
  names.bind(1, image.id.str());
  for (;;) {
    ASSIGN_OR_RETURN(bool row, names.step());
    if (!row) break;
    image.names.push_back(names.text(0));
  }
  ASSIGN_OR_RETURN(
      auto layers,
      m_db.prepare(
          "SELECT l.diff_id, l.chain_id, l.blob_digest, l.media_type, l.blob_size, "
          "COALESCE(s.tar_size, 0) FROM image_layers l LEFT JOIN layers s ON s.diff_id = l.diff_id "
          "WHERE l.image_id = ? ORDER BY l.idx"));
  layers.bind(1, image.id.str());
  for (;;) {
    ASSIGN_OR_RETURN(bool row, layers.step());
    if (!row) break;
    ASSIGN_OR_RETURN(Digest diff_id, column_digest(layers, 0));
    ASSIGN_OR_RETURN(Digest chain, column_digest(layers, 1));
    ASSIGN_OR_RETURN(auto blob, column_optional_digest(layers, 2));
    std::optional<std::uint64_t> blob_size;
    if (layers.optional_text(4)) blob_size = static_cast<std::uint64_t>(layers.integer(4));
    image.layers.push_back(LayerRecord{std::move(diff_id), std::move(chain), std::move(blob),
                                       layers.text(3), blob_size,
                                       static_cast<std::uint64_t>(layers.integer(5))});
  }
  return {};
}

Result<std::vector<Digest>> Metadata::image_ids_matching(const std::string& ref) {
  std::string hex = ref.starts_with("sha256:") ? ref.substr(7) : ref;
  std::vector<Digest> ids;
  if (hex.size() < 4 || hex.size() > 64 || !is_hex(hex)) return ids;
  ASSIGN_OR_RETURN(auto stmt, m_db.prepare("SELECT id FROM images WHERE substr(id, 8, ?) = ?"));
  stmt.bind(1, static_cast<std::int64_t>(hex.size())).bind(2, hex);
  for (;;) {
    ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) return ids;
    ASSIGN_OR_RETURN(Digest id, column_digest(stmt, 0));
    ids.push_back(std::move(id));
  }
}

Result<ImageRecord> Metadata::resolve_image(const std::string& ref) {
  ASSIGN_OR_RETURN(auto by_name, m_db.prepare("SELECT image_id FROM names WHERE name = ?"));
  by_name.bind(1, ref);
  ASSIGN_OR_RETURN(bool named, by_name.step());
  std::vector<Digest> ids;
  if (named) {
    ASSIGN_OR_RETURN(Digest id, column_digest(by_name, 0));
    ids.push_back(std::move(id));
  } else {
    ASSIGN_OR_RETURN(ids, image_ids_matching(ref));
  }
  if (ids.empty()) return fail(Errc::not_found, "image \"" + ref + "\"");
  if (ids.size() > 1) return fail(Errc::usage, "image \"" + ref + "\" is ambiguous");
  ASSIGN_OR_RETURN(auto image, find_image(ids.front()));
  if (!image) return fail(Errc::not_found, "image \"" + ref + "\"");
  return std::move(*image);
}

Result<std::optional<Digest>> Metadata::remove_name(const std::string& name) {
  ASSIGN_OR_RETURN(auto stmt, m_db.prepare("DELETE FROM names WHERE name = ? RETURNING image_id"));
  stmt.bind(1, name);
  ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return std::optional<Digest>();
  ASSIGN_OR_RETURN(Digest id, column_digest(stmt, 0));
  stmt.reset();
  return std::optional<Digest>(std::move(id));
}

Result<std::optional<std::string>> Metadata::image_manifest(const Digest& id) {
  ASSIGN_OR_RETURN(auto stmt,
                   m_db.prepare("SELECT manifest FROM image_manifests WHERE image_id = ?"));
  stmt.bind(1, id.str());
  ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(stmt.text(0));
}

Result<std::optional<PushedLayerBlob>> Metadata::pushed_blob(const Digest& diff_id,
                                                             std::string_view compression) {
  ASSIGN_OR_RETURN(auto stmt,
                   m_db.prepare("SELECT b.blob_digest, b.blob_size, a.annotations "
                                "FROM pushed_blobs b LEFT JOIN pushed_blob_annotations a "
                                "ON a.blob_digest = b.blob_digest "
                                "WHERE b.diff_id = ? AND b.compression = ?"));
  stmt.bind(1, diff_id.str()).bind(2, std::string(compression));
  ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return std::optional<PushedLayerBlob>();
  ASSIGN_OR_RETURN(Digest blob, column_digest(stmt, 0));
  PushedLayerBlob pushed{std::move(blob), static_cast<std::uint64_t>(stmt.integer(1)), {}};
  if (auto text = stmt.optional_text(2)) {
    auto doc = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object()) {
      return fail(Errc::corrupt_store,
                  "pushed_blob_annotations of " + pushed.digest.str() + ": not a JSON object");
    }
    for (const auto& [key, value] : doc.items()) {
      if (!value.is_string()) {
        return fail(Errc::corrupt_store, "pushed_blob_annotations of " + pushed.digest.str() +
                                             ": " + key + " is not a string");
      }
      pushed.annotations[key] = value.get<std::string>();
    }
  }
  return std::optional<PushedLayerBlob>(std::move(pushed));
}

Result<void> Metadata::record_pushed_blob(const Digest& diff_id, std::string_view compression,
                                          const PushedLayerBlob& blob) {
  ASSIGN_OR_RETURN(auto txn, sqlite::Transaction::begin(m_db));
  ASSIGN_OR_RETURN(auto stmt,
                   m_db.prepare("INSERT OR REPLACE INTO pushed_blobs VALUES(?, ?, ?, ?)"));
  TRY(stmt.bind(1, diff_id.str())
          .bind(2, std::string(compression))
          .bind(3, blob.digest.str())
          .bind(4, static_cast<std::int64_t>(blob.size))
          .run());
  if (!blob.annotations.empty()) {
    ASSIGN_OR_RETURN(auto annotations,
                     m_db.prepare("INSERT OR REPLACE INTO pushed_blob_annotations "
                                  "VALUES(?, ?)"));
    TRY(annotations.bind(1, blob.digest.str())
            .bind(2, nlohmann::json(blob.annotations).dump())
            .run());
  }
  return txn.commit();
}

Result<void> Metadata::remove_image(const Digest& id) {
  ASSIGN_OR_RETURN(auto stmt, m_db.prepare("DELETE FROM images WHERE id = ?"));
  return stmt.bind(1, id.str()).run();
}

}  // namespace cairn
