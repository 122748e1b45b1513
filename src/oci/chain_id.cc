#include "oci/chain_id.h"

namespace cairn {

Digest chain_id(const Digest& parent_chain, const Digest& diff_id) {
  return Digest::of(parent_chain.str() + " " + diff_id.str());
}

std::vector<Digest> chain_ids(std::span<const Digest> diff_ids) {
  std::vector<Digest> chains;
  chains.reserve(diff_ids.size());
  for (const Digest& diff_id : diff_ids) {
    chains.push_back(chains.empty() ? diff_id : chain_id(chains.back(), diff_id));
  }
  return chains;
}

}  // namespace cairn
