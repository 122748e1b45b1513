// Where a blob upload stands (OCI distribution spec, "Pushing blobs"), read
// from the headers of the registry's answer to a POST, PATCH or GET of an
// upload session:
//   Location: the URL of the session's next request — absolute, or
//             relative to the request's URL (distribution sends
//             "/v2/REPO/blobs/uploads/UUID?_state=…"); it changes with every
//             answer (the state token), so the newest one is always used;
//   Range:    "0-N", the registry holds bytes 0..N (N+1 bytes). Distribution
//             writes "0-0" for an empty session too; that is read as 0 bytes,
//             so a session holding exactly one byte is misread (cairn's
//             chunked uploads never stop at one byte).
// Pure functions, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "source/http.h"
#include "util/error.h"

namespace cairn {

struct UploadState {
  std::string location;        // absolute URL of the next request
  std::uint64_t received = 0;  // bytes the registry holds
};

// The bytes a Range header ("0-N", also "bytes=0-N") says the registry holds;
// Errc::bad_input if it is malformed or does not start at 0.
Result<std::uint64_t> parse_upload_range(std::string_view range);

// The state after `response` to a request sent to `request_url`. A missing
// Range is 0 bytes; a missing Location is Errc::bad_input naming `what`.
Result<UploadState> parse_upload_state(const HttpResponse& response, std::string_view request_url,
                                       std::string_view what);

// `url` with "KEY=VALUE" (VALUE percent-encoded) added to its query.
std::string with_query_parameter(std::string_view url, std::string_view key,
                                 std::string_view value);

}  // namespace cairn
