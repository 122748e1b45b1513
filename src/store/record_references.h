// The file references of a layer's tar-split record (store/layer_keeping.h,
// format in source/tar_split.h): every type-1 line, numbered for its
// occurrence exactly as source/tar_split.cc numbers them when it rebuilds the
// layer (every type-1 line with a name counts), with its size and, in
// cairn's own records, the sha256 of its content. Lines that are not JSON
// objects of type 1 with a name are passed over: the rebuild is what judges
// a record, this only lists what it references.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "layer/layer_contents.h"
#include "oci/digest.h"
#include "util/error.h"

namespace cairn {

using ReferenceVisitor =
    std::function<Result<void>(const ContentRef& ref, const std::optional<Digest>& sha256)>;

// Calls VISIT for each reference of the gzip record file at PATH, in order.
Result<void> for_each_reference(const std::string& path, const ReferenceVisitor& visit);

}  // namespace cairn
