#include "actors/rate_limiter.hpp"

#include <caf/all.hpp>

#include <algorithm>

namespace ledgerd {

namespace {

using self_ptr = rate_limiter_actor::stateful_pointer<rate_limiter_state>;
using time_point = rate_limiter_state::time_point;

constexpr auto never = time_point::max();

size_t priority_index(int16_t priority) {
  return static_cast<size_t>(std::clamp<int16_t>(priority, 0, 3));
}

state::bucket_params params_of(const bucket_ref& ref) {
  state::bucket_params p;
  p.limit = std::max<uint32_t>(ref.limit, 1);
  p.window = ref.window;
  p.margin = ref.margin;
  if (ref.adaptive)
    p.adaptive = state::adaptive_params{};
  return p;
}

std::vector<state::rate_bucket*>
buckets_of(self_ptr self, const std::vector<std::string>& keys) {
  std::vector<state::rate_bucket*> out;
  out.reserve(keys.size());
  for (auto& key : keys)
    out.push_back(&self->state.buckets.at(key));
  return out;
}

void schedule_wake(self_ptr self, time_point at, time_point now) {
  auto& st = self->state;
  if (at == never || (st.wake_at && *st.wake_at <= at))
    return;
  st.wake_at = at;
  self->delayed_send(self, std::max(at - now, caf::timespan{0}), tick_atom_v);
}

/// Stamps the slots of grants whose request deadline passed without
/// feedback; returns the next such deadline.
time_point expire_grants(self_ptr self, time_point now) {
  auto& st = self->state;
  while (!st.deadlines.empty() && st.deadlines.begin()->first <= now) {
    auto [deadline, id] = *st.deadlines.begin();
    auto& g = st.grants.at(id);
    state::expire_all(buckets_of(self, g.keys), g.slots, deadline);
    st.grants.erase(id);
    st.deadlines.erase(st.deadlines.begin());
  }
  return st.deadlines.empty() ? never : st.deadlines.begin()->first;
}

/// Tries to grant `w`; returns when to try again (never: granted or gone)
/// and sets `binding` to the key of the bucket that refused.
time_point serve_one(self_ptr self, rate_limiter_state::waiter& w,
                     time_point now, bool& done, std::string& binding) {
  auto& st = self->state;
  done = false;
  if (w.deadline <= now) {
    w.promise.deliver(caf::make_error(errc::rate_limit_timeout));
    done = true;
    return never;
  }
  auto ptrs = buckets_of(self, w.keys);
  auto res = state::try_acquire_all(ptrs, now);
  if (!res) {
    binding = w.keys[res.refused().bucket];
    auto retry = res.refused().refused.retry_at;
    return std::min(retry, w.deadline);
  }
  auto waited = std::chrono::duration<double>(now - w.since).count();
  auto& m = st.reporter.metrics();
  for (auto& key : w.keys) {
    st.grants_per_minute[key].add(now);
    m.add("ledgerd_rate_limit_grants_total", {key});
    m.observe("ledgerd_rate_limit_wait_seconds", {key}, waited);
    if (waited > 0)
      m.add("ledgerd_rate_limit_waits_total", {key});
  }
  st.reporter.schedule(self);
  auto id = st.next_grant++;
  auto deadline = st.deadlines.emplace(now + w.request_timeout, id);
  st.grants.emplace(
    id, rate_limiter_state::in_flight{w.keys, res.grant(), deadline});
  w.promise.deliver(grant{id});
  done = true;
  return never;
}

// Serves waiters by priority, FIFO within a priority. Once a waiter is
// refused, the bucket that refused it is blocked for the rest of the pass:
// nobody behind it (lower priority or later) may take the slot it waits
// for. Its other buckets stay usable, so no budget idles.
void serve(self_ptr self) {
  auto& st = self->state;
  auto now = self->clock().now();
  auto next = expire_grants(self, now);
  std::set<std::string> blocked;
  for (size_t p = st.waiters.size(); p-- > 0;) {
    auto& queue = st.waiters[p];
    for (auto i = queue.begin(); i != queue.end();) {
      auto is_blocked
        = std::any_of(i->keys.begin(), i->keys.end(), [&](auto& k) {
            return blocked.count(k);
          });
      if (is_blocked && i->deadline > now) {
        next = std::min(next, i->deadline);
        ++i;
        continue;
      }
      bool done = false;
      std::string binding;
      auto retry = serve_one(self, *i, now, done, binding);
      if (done) {
        i = queue.erase(i);
        continue;
      }
      blocked.insert(binding);
      next = std::min(next, retry);
      ++i;
    }
  }
  if (st.wake_at && *st.wake_at <= now)
    st.wake_at.reset();
  schedule_wake(self, next, now);
}

/// A new bucket of a provider a predecessor used within one window is
/// paused until that window has passed.
void wait_out_predecessor(rate_limiter_state& st, const bucket_ref& ref,
                          state::rate_bucket& bucket) {
  auto provider = ref.key.substr(0, ref.key.find('/'));
  auto age = st.predecessor_age.find(provider);
  if (age == st.predecessor_age.end())
    return;
  auto until = st.started - age->second + ref.window + ref.margin;
  bucket.pause(until);
}

caf::result<grant> on_request(self_ptr self, grant_request& req) {
  auto& st = self->state;
  if (req.buckets.empty())
    return caf::make_error(errc::invalid_grant_request, "no buckets");
  rate_limiter_state::waiter w;
  for (auto& ref : req.buckets) {
    if (ref.key.empty() || ref.window <= caf::timespan{0})
      return caf::make_error(errc::invalid_grant_request, ref.key);
    auto [bucket, made] = st.buckets.try_emplace(ref.key, params_of(ref));
    if (made)
      wait_out_predecessor(st, ref, bucket->second);
    w.keys.push_back(ref.key);
  }
  w.since = self->clock().now();
  w.deadline = w.since + req.max_wait;
  w.request_timeout = req.request_timeout;
  w.requester = caf::actor_cast<caf::actor_addr>(self->current_sender());
  if (w.requester && st.monitored.insert(w.requester).second)
    self->monitor(w.requester);
  w.promise = self->make_response_promise<grant>();
  auto promise = w.promise;
  auto& queue = st.waiters[priority_index(req.priority)];
  if (req.retry)
    queue.push_front(std::move(w));
  else
    queue.push_back(std::move(w));
  serve(self);
  return promise;
}

// Applies the response's quota headers, if any, to the bucket they refer to
// (after the slot was released, as rate_bucket::observe_quota expects).
void observe_quota(std::vector<state::rate_bucket*>& ptrs,
                   const grant_feedback& fb, time_point now) {
  if (fb.blamed >= ptrs.size())
    return;
  state::quota_hint hint;
  if (fb.quota_limit > 0)
    hint.limit = static_cast<size_t>(fb.quota_limit);
  if (fb.quota_remaining >= 0)
    hint.remaining = static_cast<size_t>(fb.quota_remaining);
  if (fb.quota_reset_in > caf::timespan{0})
    hint.reset = now + fb.quota_reset_in;
  if (hint.limit || hint.remaining || hint.reset)
    ptrs[fb.blamed]->observe_quota(hint, now);
}

void on_feedback(self_ptr self, const grant_feedback& fb) {
  auto& st = self->state;
  auto i = st.grants.find(fb.grant);
  if (i == st.grants.end())
    return; // already expired at its deadline
  auto ptrs = buckets_of(self, i->second.keys);
  auto now = self->clock().now();
  switch (fb.outcome) {
  case grant_feedback::response:
    state::complete_all(ptrs, i->second.slots, now);
    break;
  case grant_feedback::throttled: {
    std::optional<std::chrono::milliseconds> hint;
    if (fb.retry_after > caf::timespan{0})
      hint
        = std::chrono::duration_cast<std::chrono::milliseconds>(fb.retry_after);
    state::throttled_all(ptrs, i->second.slots, fb.blamed, now, hint);
    break;
  }
  case grant_feedback::timed_out:
    state::expire_all(ptrs, i->second.slots, now);
    break;
  case grant_feedback::not_sent:
    state::cancel_all(ptrs, i->second.slots);
    break;
  default:
    return; // unknown outcome: keep the slots until the deadline
  }
  observe_quota(ptrs, fb, now);
  st.deadlines.erase(i->second.deadline);
  st.grants.erase(i);
  serve(self);
}

// A requester that died no longer waits: drop its waiters (its granted
// requests keep their slots until feedback or deadline: they may have been
// sent).
void on_down(self_ptr self, const caf::down_msg& dm) {
  auto& st = self->state;
  st.monitored.erase(dm.source);
  for (auto& queue : st.waiters)
    queue.erase(std::remove_if(queue.begin(), queue.end(),
                               [&](auto& w) {
                                 return w.requester == dm.source;
                               }),
                queue.end());
  serve(self);
}

bucket_report report(self_ptr self, const std::string& key,
                     const state::rate_bucket& b) {
  auto now = self->clock().now();
  auto stats = b.stats(now);
  bucket_report r;
  r.key = key;
  r.limit = stats.limit;
  r.window = stats.window;
  r.remaining = stats.remaining;
  r.reset_in = std::max(stats.reset_time - now, caf::timespan{0});
  r.in_flight = stats.in_flight;
  if (stats.paused_until)
    r.paused_for = std::max(*stats.paused_until - now, caf::timespan{0});
  r.waiters.assign(4, 0);
  for (size_t p = 0; p < 4; ++p)
    for (auto& w : self->state.waiters[p])
      if (std::find(w.keys.begin(), w.keys.end(), key) != w.keys.end())
        ++r.waiters[p];
  r.granted = stats.granted;
  r.grants_last_minute = self->state.grants_per_minute[key].last_minute(now);
  r.throttled = stats.throttled;
  r.adaptive = stats.adaptive;
  r.rate = stats.rate;
  return r;
}

} // namespace

rate_limiter_actor::behavior_type
rate_limiter(rate_limiter_actor::stateful_pointer<rate_limiter_state> self) {
  self->state.started = self->clock().now();
  self->set_down_handler([self](const caf::down_msg& dm) {
    on_down(self, dm);
  });
  return {
    [self](grant_request& req) {
      return on_request(self, req);
    },
    [self](const grant_feedback& fb) {
      on_feedback(self, fb);
    },
    [self](tick_atom) {
      serve(self);
    },
    [](drain_atom) {
      return true;
    },
    [self](caf::get_atom) {
      std::vector<bucket_report> out;
      for (auto& [key, bucket] : self->state.buckets)
        out.push_back(report(self, key, bucket));
      return out;
    },
    [self](report_atom) {
      self->state.reporter.flush(self);
    },
  };
}

rate_limiter_actor::behavior_type reporting_rate_limiter(
  rate_limiter_actor::stateful_pointer<rate_limiter_state> self,
  std::shared_ptr<const actor_directory> dir) {
  self->state.reporter = metrics_reporter{"rate_limiter", std::move(dir)};
  return rate_limiter(self);
}

rate_limiter_actor::behavior_type reporting_rate_limiter_after(
  rate_limiter_actor::stateful_pointer<rate_limiter_state> self,
  std::shared_ptr<const actor_directory> dir,
  std::map<std::string, caf::timespan> predecessor_age) {
  self->state.predecessor_age = std::move(predecessor_age);
  return reporting_rate_limiter(self, std::move(dir));
}

} // namespace ledgerd
