// The sending side of the metrics protocol, kept in an actor's state: the
// actor counts into a local buffer (no message per event) and the buffer is
// flushed to the monitor at most once per interval, only when something
// was counted. The monitor is looked up in the directory at each flush (the
// supervisor replaces it when it restarts); without a directory or monitor
// the counts are dropped, so actors run unchanged in tests without one.
#pragma once

#include "actors/directory.hpp"
#include "messages/metrics.hpp"
#include "messages/type_ids.hpp"

#include <caf/actor.hpp>
#include <caf/send.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace ledgerd {

/// Directory name of the monitor actor.
inline constexpr auto monitor_name = "monitor";

class metrics_reporter {
public:
  metrics_reporter() = default;

  metrics_reporter(std::string actor_type,
                   std::shared_ptr<const actor_directory> dir,
                   caf::timespan interval = std::chrono::seconds{1})
    : type_(std::move(actor_type))
    , dir_(std::move(dir))
    , interval_(interval) {}

  state::metric_buffer& metrics() {
    return buffer_;
  }

  /// Call after counting: schedules a report_atom to `self` unless one is
  /// already on its way. The actor answers it with flush().
  template<class Self>
  void schedule(Self* self) {
    if (scheduled_ || dir_ == nullptr)
      return;
    scheduled_ = true;
    self->delayed_send(self, interval_, report_atom_v);
  }

  /// Sends what was counted, with the actor's mailbox size.
  template<class Self>
  void flush(Self* self) {
    scheduled_ = false;
    auto samples = buffer_.take();
    if (dir_ == nullptr)
      return;
    if (auto mon = dir_->get<caf::actor>(monitor_name))
      caf::anon_send(
        mon, metric_report{type_, self->mailbox().size(), std::move(samples)});
  }

  /// Sends `samples` now, for short-lived actors (a job's run) that report
  /// once at their end instead of on a timer.
  static void send_now(const actor_directory* dir, std::string actor_type,
                       state::metric_buffer& buffer) {
    if (dir == nullptr || buffer.empty())
      return;
    if (auto mon = dir->get<caf::actor>(monitor_name))
      caf::anon_send(mon,
                     metric_report{std::move(actor_type), 0, buffer.take()});
  }

private:
  std::string type_;
  std::shared_ptr<const actor_directory> dir_;
  caf::timespan interval_{std::chrono::seconds{1}};
  state::metric_buffer buffer_;
  bool scheduled_ = false;
};

} // namespace ledgerd
