#include "state/composite_grant.hpp"

#include <cassert>
#include <ostream>

namespace ledgerd::state {

namespace {

using time_point = limiter_clock::time_point;
using buckets_t = std::span<rate_bucket* const>;

// Index of the first occurrence of buckets[i] (i itself unless a duplicate).
size_t first_index(buckets_t buckets, size_t i) {
  for (size_t j = 0; j < i; ++j)
    if (buckets[j] == buckets[i])
      return j;
  return i;
}

// Calls f(bucket, slot) once per distinct bucket; the AND of the results.
template<class F>
bool release_each(buckets_t buckets, const composite_grant& grant, F f) {
  if (grant.slots.size() != buckets.size())
    return false;
  bool ok = true;
  for (size_t i = 0; i < buckets.size(); ++i)
    if (first_index(buckets, i) == i)
      ok = f(*buckets[i], grant.slots[i]) && ok;
  return ok;
}

} // namespace

std::ostream& operator<<(std::ostream& os, const composite_grant& x) {
  os << "composite_grant{";
  for (size_t i = 0; i < x.slots.size(); ++i)
    os << (i == 0 ? "" : ", ") << x.slots[i];
  return os << "}";
}

std::ostream& operator<<(std::ostream& os, const composite_denial& x) {
  return os << "composite_denial{" << x.refused << ", bucket=" << x.bucket
            << "}";
}

const composite_grant& composite_result::grant() const {
  assert(granted());
  return std::get<composite_grant>(x_);
}

const composite_denial& composite_result::refused() const {
  assert(!granted());
  return std::get<composite_denial>(x_);
}

std::ostream& operator<<(std::ostream& os, const composite_result& x) {
  if (x.granted())
    return os << "granted " << x.grant();
  return os << x.refused();
}

std::optional<composite_denial> check_all(buckets_t buckets, time_point now) {
  std::optional<composite_denial> result;
  for (size_t i = 0; i < buckets.size(); ++i) {
    assert(buckets[i] != nullptr);
    if (first_index(buckets, i) != i)
      continue;
    if (auto refused = buckets[i]->check(now))
      if (!result || result->refused.retry_at < refused->retry_at)
        result = composite_denial{*refused, i};
  }
  return result;
}

composite_result try_acquire_all(buckets_t buckets, time_point now) {
  if (auto refused = check_all(buckets, now)) {
    // Let each refusing bucket see the attempt (counts, saturation); a
    // refusing try_acquire takes nothing.
    for (size_t i = 0; i < buckets.size(); ++i)
      if (first_index(buckets, i) == i && buckets[i]->check(now))
        buckets[i]->try_acquire(now);
    return *refused;
  }
  composite_grant grant;
  grant.slots.reserve(buckets.size());
  for (size_t i = 0; i < buckets.size(); ++i) {
    auto first = first_index(buckets, i);
    if (first != i) {
      grant.slots.push_back(grant.slots[first]);
      continue;
    }
    auto result = buckets[i]->try_acquire(now);
    // Every bucket admitted at this `now` a moment ago.
    assert(result.granted());
    grant.slots.push_back(result.slot());
  }
  return grant;
}

time_point earliest_grant_all(buckets_t buckets, time_point now) {
  if (auto refused = check_all(buckets, now))
    return refused->refused.retry_at;
  return now;
}

bool complete_all(buckets_t buckets, const composite_grant& grant,
                  time_point response_time) {
  return release_each(buckets, grant, [&](rate_bucket& b, slot_id slot) {
    return b.complete(slot, response_time);
  });
}

bool expire_all(buckets_t buckets, const composite_grant& grant,
                time_point deadline) {
  return release_each(buckets, grant, [&](rate_bucket& b, slot_id slot) {
    return b.expire(slot, deadline);
  });
}

bool cancel_all(buckets_t buckets, const composite_grant& grant) {
  return release_each(buckets, grant, [&](rate_bucket& b, slot_id slot) {
    return b.cancel(slot);
  });
}

bool throttled_all(buckets_t buckets, const composite_grant& grant,
                   size_t blamed, time_point response_time,
                   std::optional<std::chrono::milliseconds> retry_after) {
  if (blamed >= buckets.size())
    return false;
  auto* culprit = buckets[first_index(buckets, blamed)];
  return release_each(buckets, grant, [&](rate_bucket& b, slot_id slot) {
    if (&b == culprit)
      return b.throttled(slot, response_time, retry_after);
    return b.complete(slot, response_time);
  });
}

} // namespace ledgerd::state
