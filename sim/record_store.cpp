#include "sim/record_store.hpp"

#include <stdexcept>

namespace ledgerd::sim {

record* record_store::find(const std::string& id) {
  auto i = seq_of_.find(id);
  return i == seq_of_.end() ? nullptr : &by_seq_.at(i->second);
}

const record* record_store::find(const std::string& id) const {
  auto i = seq_of_.find(id);
  return i == seq_of_.end() ? nullptr : &by_seq_.at(i->second);
}

record& record_store::insert(std::string id, nlohmann::json data,
                             sys_ms modified) {
  if (seq_of_.count(id) > 0)
    throw std::logic_error("record_store: duplicate id " + id);
  auto seq = next_seq_++;
  used_.insert(id);
  seq_of_.emplace(id, seq);
  return by_seq_
    .emplace(seq, record{std::move(id), std::move(data), modified, modified})
    .first->second;
}

bool record_store::erase(const std::string& id) {
  auto i = seq_of_.find(id);
  if (i == seq_of_.end())
    return false;
  by_seq_.erase(i->second);
  seq_of_.erase(i);
  return true;
}

std::vector<const record*> record_store::all() const {
  std::vector<const record*> out;
  out.reserve(by_seq_.size());
  for (const auto& [seq, r] : by_seq_)
    out.push_back(&r);
  return out;
}

} // namespace ledgerd::sim
