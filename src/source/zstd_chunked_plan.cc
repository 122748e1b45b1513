#include "source/zstd_chunked_plan.h"

#include <algorithm>

namespace cairn {
namespace {

void add_prefetch(ChunkedPlan& plan, BlobRange range) {
  plan.prefetch_bytes += range.length;
  if (!plan.prefetch.empty()) {
    BlobRange& last = plan.prefetch.back();
    std::uint64_t hole = range.offset - last.end();
    if (hole <= k_merge_hole && plan.prefetch_bytes + hole <= k_max_prefetch) {
      plan.prefetch_bytes += hole;  // downloaded too
      last.length = range.end() - last.offset;
      return;
    }
  }
  plan.prefetch.push_back(range);
}

void add_between(ChunkedPlan& plan, std::uint64_t from, std::uint64_t to) {
  if (to <= from) return;
  BlobRange range{from, to - from};
  plan.pieces.push_back({ChunkedPiece::Kind::between, range, 0});
  add_prefetch(plan, range);
}

std::uint64_t between_bytes(std::span<const TocFile> files, std::uint64_t content_end) {
  std::uint64_t total = 0;
  std::uint64_t at = 0;
  for (const TocFile& file : files) {
    total += file.frames.offset - at;
    at = file.frames.end();
  }
  return total + (content_end - at);
}

}  // namespace

ChunkedPlan plan_chunked_tar(std::span<const TocFile> files, std::uint64_t content_end,
                             const std::function<bool(const TocFile&)>& is_local) {
  ChunkedPlan plan;
  std::uint64_t small_budget =
      k_max_prefetch - std::min(k_max_prefetch, between_bytes(files, content_end));
  std::uint64_t at = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    const TocFile& file = files[i];
    add_between(plan, at, file.frames.offset);
    at = file.frames.end();
    if (is_local(file)) {
      plan.pieces.push_back({ChunkedPiece::Kind::local_file, file.frames, i});
      ++plan.files_local;
      continue;
    }
    plan.pieces.push_back({ChunkedPiece::Kind::fetched_file, file.frames, i});
    ++plan.files_fetched;
    if (file.frames.length <= k_prefetch_file && file.frames.length <= small_budget) {
      small_budget -= file.frames.length;
      add_prefetch(plan, file.frames);
    }
  }
  add_between(plan, at, content_end);
  return plan;
}

}  // namespace cairn
