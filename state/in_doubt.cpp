#include "state/in_doubt.hpp"

namespace ledgerd::state {

std::string_view to_string(in_doubt_action x) {
  switch (x) {
  case in_doubt_action::adopt:
    return "adopt";
  case in_doubt_action::create_again:
    return "create_again";
  case in_doubt_action::wait:
    return "wait";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& os, const in_doubt_decision& x) {
  os << "in_doubt_decision{" << to_string(x.action);
  if (!x.remote_id.empty())
    os << " " << x.remote_id;
  if (x.wait.count() > 0)
    os << " wait=" << x.wait.count() << "ms";
  if (!x.note.empty())
    os << " (" << x.note << ")";
  return os << "}";
}

in_doubt_decision resolve_in_doubt(std::string_view local_id,
                                   const std::vector<in_doubt_candidate>& found,
                                   std::chrono::milliseconds age,
                                   std::chrono::milliseconds settle) {
  in_doubt_decision out;
  std::vector<const in_doubt_candidate*> ours;
  size_t linked_elsewhere = 0;
  for (const auto& c : found) {
    if (c.external_ref != local_id)
      continue;
    if (!c.linked_to.empty() && c.linked_to != local_id)
      ++linked_elsewhere;
    else
      ours.push_back(&c);
  }
  if (linked_elsewhere > 0)
    out.note = std::to_string(linked_elsewhere)
               + " record(s) with this reference are linked to other local "
                 "records";
  if (!ours.empty()) {
    out.action = in_doubt_action::adopt;
    out.remote_id = ours.front()->remote_id;
    if (ours.size() > 1) {
      if (!out.note.empty())
        out.note += "; ";
      out.note += std::to_string(ours.size() - 1)
                  + " duplicate(s) carry this reference too";
    }
    return out;
  }
  if (age < settle) {
    out.action = in_doubt_action::wait;
    out.wait = settle - age;
    return out;
  }
  out.action = in_doubt_action::create_again;
  return out;
}

} // namespace ledgerd::state
