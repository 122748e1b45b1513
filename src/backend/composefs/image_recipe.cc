#include "backend/composefs/image_recipe.h"

namespace cairn::composefs {
namespace {

constexpr std::string_view k_magic_v1 = "cairn-composefs-chain 1";
constexpr std::string_view k_magic_v2 = "cairn-composefs-chain 2";
constexpr std::string_view k_magic = "cairn-composefs-chain 3";

Result<ChainLink> parse_layer(std::string_view line) {
  auto bad = [] { return fail(Errc::corrupt_store, "image recipe: bad layer line"); };
  if (!line.starts_with("layer ")) return bad();
  line.remove_prefix(6);
  size_t space = line.find(' ');
  if (space == std::string_view::npos) return bad();
  auto diff_id = Digest::parse(line.substr(0, space));
  auto chain_id = Digest::parse(line.substr(space + 1));
  if (!diff_id || !chain_id) return bad();
  return ChainLink{*diff_id, *chain_id};
}

Result<ErofsFile> parse_file(std::string_view line) {
  auto bad = [] { return fail(Errc::corrupt_store, "image recipe: bad erofs line"); };
  line.remove_prefix(6);
  size_t space = line.find(' ');
  if (space == std::string_view::npos || space == 0) return bad();
  std::string_view name = line.substr(0, space);
  if (name.find('/') != std::string_view::npos || name.starts_with(".")) return bad();
  auto digest = erofs::parse_verity_hex(line.substr(space + 1));
  if (!digest) return bad();
  return ErofsFile{std::string(name), *digest};
}

Result<size_t> parse_prefix(std::string_view line) {
  auto bad = [] { return fail(Errc::corrupt_store, "image recipe: bad prefix line"); };
  if (!line.starts_with("prefix ") || line.size() == 7 || line.size() > 12) return bad();
  size_t n = 0;
  for (char c : line.substr(7)) {
    if (c < '0' || c > '9') return bad();
    n = n * 10 + static_cast<size_t>(c - '0');
  }
  return n;
}

}  // namespace

Result<Mode> parse_mode(std::string_view name) {
  if (name == "flat") return Mode::flat;
  if (name == "per-layer") return Mode::per_layer;
  if (name == "hybrid") return Mode::hybrid;
  return fail(Errc::usage, "unknown composefs mode \"" + std::string(name) +
                               "\" (known: flat, per-layer, hybrid)");
}

std::string_view mode_name(Mode mode) {
  switch (mode) {
    case Mode::flat: return "flat";
    case Mode::per_layer: return "per-layer";
    case Mode::hybrid: return "hybrid";
  }
  return "flat";
}

std::string serialize_recipe(const ImageRecipe& recipe) {
  std::string out = std::string(k_magic) + "\nmode " + std::string(mode_name(recipe.mode)) + "\n";
  if (recipe.mode == Mode::hybrid) out += "prefix " + std::to_string(recipe.prefix) + "\n";
  for (const ChainLink& link : recipe.chain) {
    out += "layer " + link.diff_id.str() + " " + link.chain_id.str() + "\n";
  }
  for (const ErofsFile& file : recipe.files) {
    out += "erofs " + file.name + " " + erofs::verity_hex(file.digest) + "\n";
  }
  if (recipe.flat_digest) out += "flat " + erofs::verity_hex(*recipe.flat_digest) + "\n";
  return out;
}

Result<ImageRecipe> parse_recipe(std::string_view text) {
  ImageRecipe recipe;
  int version = 1;
  size_t pos = 0;
  for (size_t number = 0; pos < text.size(); ++number) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) return fail(Errc::corrupt_store, "image recipe: truncated");
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (number == 0) {
      if (line != k_magic && line != k_magic_v2 && line != k_magic_v1) {
        return fail(Errc::corrupt_store, "image recipe: bad header");
      }
      version = line == k_magic ? 3 : line == k_magic_v2 ? 2 : 1;
    } else if (recipe.flat_digest) {
      return fail(Errc::corrupt_store, "image recipe: line after flat");
    } else if (number == 1) {
      auto mode = line.starts_with("mode ") ? parse_mode(line.substr(5)) : parse_mode("");
      if (!mode) return fail(Errc::corrupt_store, "image recipe: bad mode line");
      recipe.mode = *mode;
    } else if (number == 2 && recipe.mode == Mode::hybrid) {
      ASSIGN_OR_RETURN(recipe.prefix, parse_prefix(line));
    } else if (version == 3 && line.starts_with("flat ")) {
      auto digest = erofs::parse_verity_hex(line.substr(5));
      if (!digest) return fail(Errc::corrupt_store, "image recipe: bad flat line");
      recipe.flat_digest = *digest;
    } else if (version >= 2 && line.starts_with("erofs ")) {
      ASSIGN_OR_RETURN(ErofsFile file, parse_file(line));
      recipe.files.push_back(std::move(file));
    } else {
      if (!recipe.files.empty())
        return fail(Errc::corrupt_store, "image recipe: layer after erofs");
      ASSIGN_OR_RETURN(ChainLink link, parse_layer(line));
      recipe.chain.push_back(link);
    }
  }
  if (recipe.chain.empty()) return fail(Errc::corrupt_store, "image recipe: no layers");
  if (recipe.mode == Mode::hybrid && (recipe.prefix < 1 || recipe.prefix >= recipe.chain.size())) {
    return fail(Errc::corrupt_store, "image recipe: hybrid prefix out of range");
  }
  return recipe;
}

}  // namespace cairn::composefs
