// Metrics without threads or I/O: the catalogue of every metric ledgerd
// exports, the buffer an actor aggregates into between flushes, and the
// store the monitor keeps and renders as Prometheus text.
//
// Every metric is declared once in the catalogue (name, type, help, label
// names, histogram buckets): the renderer and the README are driven by it,
// and a sample naming an unknown metric or the wrong number of labels is
// rejected instead of exported.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ledgerd::state {

enum class metric_type : uint8_t { counter, gauge, histogram };

struct metric_family {
  std::string_view name;
  metric_type type;
  std::string_view help;
  std::vector<std::string_view> labels;
  /// Upper bounds of a histogram's buckets (ascending; +Inf is implied).
  std::vector<double> buckets = {};
};

/// Every metric ledgerd exports.
std::span<const metric_family> metric_catalogue();

/// The family named `name`, or nullptr.
const metric_family* find_metric(std::string_view name);

/// One aggregated series in a report from an actor to the monitor: a
/// counter's increment, a gauge's value, or a histogram's observations.
struct metric_sample {
  std::string name;
  /// Label values, in the order of the family's label names.
  std::vector<std::string> labels;
  /// Counter: increment. Gauge: value. Histogram: sum of observations.
  double value = 0;
  /// Histogram: observations per bucket (non-cumulative; the last is +Inf).
  std::vector<uint64_t> buckets;
};

/// What one actor aggregates between two flushes.
class metric_buffer {
public:
  /// Adds `n` to a counter.
  void add(std::string_view name, std::vector<std::string> labels,
           double n = 1);

  /// Records one observation of a histogram.
  void observe(std::string_view name, std::vector<std::string> labels,
               double value);

  /// Sets a gauge.
  void set(std::string_view name, std::vector<std::string> labels,
           double value);

  bool empty() const {
    return series_.empty();
  }

  /// Everything aggregated since the last take; leaves the buffer empty.
  std::vector<metric_sample> take();

private:
  using key = std::pair<std::string, std::vector<std::string>>;
  std::map<key, metric_sample> series_;
};

/// The monitor's metrics: counters and histograms accumulate samples,
/// gauges hold their last value.
class metric_store {
public:
  /// Merges one sample; false (and nothing changes) when it names no metric
  /// of the catalogue or has the wrong labels or buckets.
  bool apply(const metric_sample& s);

  /// Sets a gauge (or a counter the monitor reads as a total elsewhere).
  bool set(std::string_view name, std::vector<std::string> labels,
           double value);

  /// Drops every series of `name` (before a gauge family is gathered anew,
  /// so series that disappeared do not linger).
  void clear(std::string_view name);

  /// A counter's or gauge's value; 0 when absent.
  double value(std::string_view name,
               const std::vector<std::string>& labels) const;

  /// The sum (or with `max` the largest value) of a counter or gauge over
  /// its series whose labels match `where` (label name -> value); 0 when
  /// none matches.
  double sum(std::string_view name,
             const std::map<std::string, std::string>& where = {},
             bool max = false) const;

  /// A histogram's cumulative bucket counts summed over its series that
  /// match `where` (the last is the total count); empty when none has
  /// observations.
  std::vector<uint64_t>
  histogram_totals(std::string_view name,
                   const std::map<std::string, std::string>& where = {}) const;

  /// Prometheus text exposition format 0.0.4, families in catalogue order.
  std::string prometheus_text() const;

private:
  struct series {
    double value = 0;
    std::vector<uint64_t> buckets;
  };
  using family_series = std::map<std::vector<std::string>, series>;
  std::map<std::string, family_series, std::less<>> families_;
};

/// The `q` quantile (0..1) of a histogram with `bounds` from cumulative
/// `counts` (as histogram_totals returns), interpolated linearly within the
/// bucket like Prometheus' histogram_quantile; 0 without observations.
double histogram_quantile(double q, const std::vector<double>& bounds,
                          const std::vector<uint64_t>& counts);

} // namespace ledgerd::state
