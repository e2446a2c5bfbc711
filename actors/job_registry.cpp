#include "actors/job_registry.hpp"

namespace ledgerd {

void job_registry::add(std::string kind, job_handler handler) {
  handlers_[std::move(kind)] = std::move(handler);
}

const job_handler* job_registry::find(const std::string& kind) const {
  auto i = handlers_.find(kind);
  return i == handlers_.end() ? nullptr : &i->second;
}

std::vector<std::string> job_registry::kinds() const {
  std::vector<std::string> out;
  for (auto& [kind, handler] : handlers_)
    out.push_back(kind);
  return out;
}

} // namespace ledgerd
