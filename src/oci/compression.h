// How a layer blob is compressed.
#pragma once

namespace cairn {

enum class Compression { none, gzip, zstd };

}  // namespace cairn
