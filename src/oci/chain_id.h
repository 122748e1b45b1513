// OCI ChainID: the identity of a layer *in a chain* (its rootfs after all
// parents are applied). chain(L1) = diff_id(L1);
// chain(Ln) = sha256(chain(Ln-1) + " " + diff_id(Ln)).
#pragma once

#include <span>
#include <vector>

#include "oci/digest.h"

namespace cairn {

Digest chain_id(const Digest& parent_chain, const Digest& diff_id);
// ChainIDs of every prefix of diff_ids: result[i] is the chain of layers 0..i.
std::vector<Digest> chain_ids(std::span<const Digest> diff_ids);

}  // namespace cairn
