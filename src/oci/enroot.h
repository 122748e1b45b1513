// enroot's image conventions, for `cairn export --format squashfs` and the
// pyxis importer (doc/pyxis.md).
//
// An enroot image is a squashfs of the root filesystem in which three files
// carry what the OCI config says about running it, written as enroot's
// `docker import` writes them:
//
//   /etc/rc           sh script: the config's Labels as "# KEY VALUE"
//                     comments (then a blank line), then `cd` to WorkingDir
//                     (default /), source /etc/rc.local when non-empty, and
//                     exec Entrypoint + "$@" when arguments are given, else
//                     Entrypoint + Cmd (/bin/sh when both are empty); every
//                     word single-quoted
//   /etc/environment  the config's Env, one NAME=VALUE per line
//   /etc/fstab        one "tmpfs PATH tmpfs x-create=dir,rw,nosuid,nodev"
//                     line per Volumes key, in key order
//   /etc/rc.local     two comment lines (enroot replaces an image's own one,
//                     so that /etc/rc does not source a distribution's
//                     boot-time script)
//
// Departures from enroot's bytes, for safety only: newlines in a label
// become spaces (enroot would let a label inject lines into /etc/rc), and
// `"`, `$`, `` ` `` and `\` in WorkingDir are escaped inside its double quotes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/error.h"

namespace cairn {

struct EnrootFiles {
  std::string rc;
  std::string environment;
  std::string fstab;
  std::string rc_local;
};

// From an image config (the JSON document the image id names). Errc::bad_input
// if it is not a JSON object or a field has the wrong type.
Result<EnrootFiles> enroot_files(std::string_view config_json);

// The config's "created" (RFC 3339) as Unix seconds; 0 when it is absent,
// unparsable or before 1970, clamped to 2^32-1 (what squashfs can hold).
std::uint32_t config_created_seconds(std::string_view config_json);

// An enroot/pyxis image URI as a cairn source URI:
// `docker://[USER@][REGISTRY#]IMAGE[:TAG]` becomes
// `docker://[REGISTRY/]IMAGE[:TAG]` (the user is dropped: cairn takes
// credentials from its credential files); other URIs (dockerd://, podman://,
// oci:, oci-archive:, docker-archive:) are returned unchanged.
// Errc::usage for a docker:// URI that does not have that form.
Result<std::string> cairn_uri_from_enroot(std::string_view uri);

}  // namespace cairn
