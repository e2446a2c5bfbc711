#include "config/load_config.hpp"

#include "state/metrics.hpp"
#include "state/webhook_signature.hpp"

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <utility>

namespace ledgerd::config {

// -- problems -----------------------------------------------------------------

std::string to_string(const problem& x) {
  std::string out = x.file;
  if (x.line > 0) {
    out += ':';
    out += std::to_string(x.line);
    if (x.column > 0) {
      out += ':';
      out += std::to_string(x.column);
    }
  }
  out += ": ";
  if (!x.key.empty()) {
    out += x.key;
    out += ": ";
  }
  out += x.message;
  return out;
}

std::ostream& operator<<(std::ostream& out, const problem& x) {
  return out << to_string(x);
}

std::string format_problems(const std::vector<problem>& xs) {
  std::string out;
  for (const auto& x : xs) {
    out += to_string(x);
    out += '\n';
  }
  return out;
}

const std::vector<problem>& config_result::problems() const {
  static const std::vector<problem> none;
  if (auto* xs = std::get_if<std::vector<problem>>(&value_))
    return *xs;
  return none;
}

// -- environment --------------------------------------------------------------

env_lookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    if (const char* value = std::getenv(name.c_str()))
      return std::string{value};
    return std::nullopt;
  };
}

namespace {

bool is_env_name(std::string_view x) {
  if (x.empty() || (x[0] >= '0' && x[0] <= '9'))
    return false;
  return std::all_of(x.begin(), x.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9') || c == '_';
  });
}

} // namespace

expansion expand_env(std::string_view text, const env_lookup& env) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text.substr(i, 3) == "$${") {
      out += "${";
      i += 3;
      continue;
    }
    if (text.substr(i, 2) != "${") {
      out += text[i++];
      continue;
    }
    auto close = text.find('}', i + 2);
    if (close == std::string_view::npos)
      return {std::nullopt,
              "unterminated \"${\" (missing \"}\"); write \"$${\" "
              "for a literal \"${\""};
    auto inner = text.substr(i + 2, close - i - 2);
    auto name = inner;
    std::optional<std::string_view> fallback;
    if (auto sep = inner.find(":-"); sep != std::string_view::npos) {
      name = inner.substr(0, sep);
      fallback = inner.substr(sep + 2);
      if (fallback->find("${") != std::string_view::npos)
        return {std::nullopt, "nested \"${\" in the default of \"${"
                                + std::string{inner} + "}\" is not supported"};
    }
    if (!is_env_name(name))
      return {std::nullopt, "\"${" + std::string{inner}
                              + "}\" is not a variable reference: use "
                                "${NAME} or ${NAME:-default}, NAME made of "
                                "letters, digits and '_'"};
    auto value = env(std::string{name});
    if (value && (!fallback || !value->empty()))
      out += *value;
    else if (fallback)
      out += *fallback;
    else
      return {std::nullopt, "environment variable " + std::string{name}
                              + " is not set and has no default (write ${"
                              + std::string{name} + ":-default} to give one)"};
    i = close + 1;
  }
  return {std::move(out), {}};
}

namespace {

// -- helpers ------------------------------------------------------------------

std::string in_quotes(std::string_view x) {
  std::string out = "\"";
  for (char c : x) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      constexpr std::string_view hex = "0123456789abcdef";
      out += "\\x";
      out += hex[(c >> 4) & 0xf];
      out += hex[c & 0xf];
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

bool is_bare_key(std::string_view x) {
  return !x.empty() && std::all_of(x.begin(), x.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::string child_path(std::string_view parent, std::string_view key) {
  std::string k = is_bare_key(key) ? std::string{key} : in_quotes(key);
  if (parent.empty())
    return k;
  return std::string{parent} + "." + k;
}

std::string index_path(std::string_view parent, size_t i) {
  return std::string{parent} + "[" + std::to_string(i) + "]";
}

std::string type_name(toml::node_type x) {
  switch (x) {
  case toml::node_type::table:
    return "table";
  case toml::node_type::array:
    return "array";
  case toml::node_type::string:
    return "string";
  case toml::node_type::integer:
    return "integer";
  case toml::node_type::floating_point:
    return "float";
  case toml::node_type::boolean:
    return "boolean";
  case toml::node_type::date:
    return "date";
  case toml::node_type::time:
    return "time";
  case toml::node_type::date_time:
    return "date-time";
  default:
    return "nothing";
  }
}

template<class E>
std::string one_of() {
  std::string out;
  for (auto name : enum_names<E>::value) {
    if (!out.empty())
      out += ", ";
    out += name;
  }
  return out;
}

// Levenshtein distance, for "did you mean" hints.
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min(
        {row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || is_digit(c);
}

// -- context and table reader -------------------------------------------------

/// Shared state of one parse: where problems go.
struct context {
  std::string file;
  const env_lookup& env;
  std::vector<problem> problems;

  void report(const toml::source_region& at, std::string key,
              std::string message) {
    problems.push_back(problem{file, at.begin.line, at.begin.column,
                               std::move(key), std::move(message)});
  }
};

// -- scalar conversions: report and return nullopt on failure ---------------

std::string wrong_type(std::string_view want, const toml::node& n) {
  return "must be " + std::string{want} + " (got " + type_name(n.type()) + ")";
}

std::optional<std::string> as_string(context& ctx, const toml::node& n,
                                     const std::string& path) {
  auto* s = n.as_string();
  if (s == nullptr) {
    ctx.report(n.source(), path, wrong_type("a string", n));
    return std::nullopt;
  }
  auto x = expand_env(s->get(), ctx.env);
  if (!x.value)
    ctx.report(n.source(), path, x.error);
  return std::move(x.value);
}

// A string that uses ${...} where a scalar of another type is expected:
// returns its expansion; nullopt (with a problem) otherwise.
std::optional<std::string> expanded_scalar(context& ctx, const toml::node& n,
                                           const std::string& path,
                                           std::string_view want) {
  auto* s = n.as_string();
  if (s == nullptr || s->get().find("${") == std::string::npos) {
    ctx.report(n.source(), path, wrong_type(want, n));
    return std::nullopt;
  }
  return as_string(ctx, n, path);
}

std::optional<int64_t> as_integer(context& ctx, const toml::node& n,
                                  const std::string& path, int64_t min,
                                  int64_t max) {
  int64_t x = 0;
  if (auto* i = n.as_integer()) {
    x = i->get();
  } else {
    auto text = expanded_scalar(ctx, n, path, "an integer");
    if (!text)
      return std::nullopt;
    auto [end, ec]
      = std::from_chars(text->data(), text->data() + text->size(), x);
    if (ec != std::errc{} || end != text->data() + text->size()) {
      ctx.report(n.source(), path,
                 "must be an integer (got " + in_quotes(*text)
                   + " after expanding the environment)");
      return std::nullopt;
    }
  }
  if (x < min || x > max) {
    auto range
      = max == std::numeric_limits<int64_t>::max()
          ? "at least " + std::to_string(min)
          : "between " + std::to_string(min) + " and " + std::to_string(max);
    ctx.report(n.source(), path,
               "must be " + range + " (got " + std::to_string(x) + ")");
    return std::nullopt;
  }
  return x;
}

std::optional<bool> as_bool(context& ctx, const toml::node& n,
                            const std::string& path) {
  if (auto* b = n.as_boolean())
    return b->get();
  auto text = expanded_scalar(ctx, n, path, "a boolean (true or false)");
  if (!text)
    return std::nullopt;
  if (*text == "true")
    return true;
  if (*text == "false")
    return false;
  ctx.report(n.source(), path,
             "must be true or false (got " + in_quotes(*text)
               + " after expanding the environment)");
  return std::nullopt;
}

constexpr std::string_view duration_examples
  = "\"500ms\", \"5s\", \"2m\", \"1h\" or \"7d\"";

std::optional<duration> as_duration(context& ctx, const toml::node& n,
                                    const std::string& path, bool positive) {
  if (!n.is_string()) {
    ctx.report(n.source(), path,
               "must be a duration string such as "
                 + std::string{duration_examples} + " (got "
                 + type_name(n.type()) + ")");
    return std::nullopt;
  }
  auto text = as_string(ctx, n, path);
  if (!text)
    return std::nullopt;
  auto d = parse_duration(*text);
  if (!d) {
    auto unit_at = static_cast<size_t>(
      std::find_if_not(text->begin(), text->end(), is_digit) - text->begin());
    std::string why;
    if (!text->empty() && unit_at == text->size())
      why = "has no unit: write a number followed by ms, s, m, h or d";
    else if (unit_at > 0 && parse_duration("1" + text->substr(unit_at)))
      why = "is too large";
    else
      why = "must be a duration such as " + std::string{duration_examples}
            + ": a whole number and a unit, without spaces";
    ctx.report(n.source(), path, why + " (got " + in_quotes(*text) + ")");
    return std::nullopt;
  }
  if (positive && d->count() == 0) {
    ctx.report(n.source(), path,
               "must be greater than 0 (got " + in_quotes(*text) + ")");
    return std::nullopt;
  }
  return d;
}

template<class E>
std::optional<E> as_enum(context& ctx, const toml::node& n,
                         const std::string& path) {
  auto text = as_string(ctx, n, path);
  if (!text)
    return std::nullopt;
  if (auto x = from_string<E>(*text))
    return x;
  ctx.report(n.source(), path,
             "must be one of " + one_of<E>() + " (got " + in_quotes(*text)
               + ")");
  return std::nullopt;
}

/// Reads the keys of one TOML table and reports the keys nobody asked for.
class table_reader {
public:
  table_reader(context& ctx, const toml::table& tbl, std::string path)
    : ctx_(ctx)
    , tbl_(tbl)
    , path_(std::move(path)) {}

  context& ctx() {
    return ctx_;
  }

  const toml::table& table() const {
    return tbl_;
  }

  const std::string& path() const {
    return path_;
  }

  std::string key_path(std::string_view key) const {
    return child_path(path_, key);
  }

  /// Marks `key` as known; returns its node or nullptr when absent.
  const toml::node* get(std::string_view key) {
    known_.emplace(key);
    return tbl_.get(key);
  }

  /// Reports a problem with `key`: at its value when present, else at the
  /// table.
  void report(std::string_view key, std::string message) {
    const auto* n = tbl_.get(key);
    ctx_.report(n != nullptr ? n->source() : tbl_.source(), key_path(key),
                std::move(message));
  }

  /// ", KEY is not set" when `key` is absent, to explain a failed check on
  /// its default value; else empty.
  std::string default_note(std::string_view key) const {
    return tbl_.get(key) == nullptr ? ", " + std::string{key} + " is not set"
                                    : std::string{};
  }

  void report_missing(std::string_view key) {
    ctx_.report(tbl_.source(), key_path(key), "is required");
  }

  // Typed readers: each leaves `out` unchanged when `key` is absent or
  // invalid, and returns whether it assigned.

  bool read(std::string_view key, std::string& out) {
    auto* n = get(key);
    if (n == nullptr)
      return false;
    auto x = as_string(ctx_, *n, key_path(key));
    if (x)
      out = std::move(*x);
    return x.has_value();
  }

  template<class T>
  bool read_int(std::string_view key, T& out, int64_t min, int64_t max) {
    auto* n = get(key);
    if (n == nullptr)
      return false;
    auto x = as_integer(ctx_, *n, key_path(key), min, max);
    if (x)
      out = static_cast<T>(*x);
    return x.has_value();
  }

  bool read(std::string_view key, bool& out) {
    auto* n = get(key);
    if (n == nullptr)
      return false;
    auto x = as_bool(ctx_, *n, key_path(key));
    if (x)
      out = *x;
    return x.has_value();
  }

  /// `positive`: zero is an error.
  bool read_duration(std::string_view key, duration& out, bool positive) {
    auto* n = get(key);
    if (n == nullptr)
      return false;
    auto x = as_duration(ctx_, *n, key_path(key), positive);
    if (x)
      out = *x;
    return x.has_value();
  }

  template<class E>
  bool read_enum(std::string_view key, E& out) {
    auto* n = get(key);
    if (n == nullptr)
      return false;
    auto x = as_enum<E>(ctx_, *n, key_path(key));
    if (x)
      out = *x;
    return x.has_value();
  }

  /// Reports every key of the table that no reader asked for.
  void finish() {
    for (auto&& [k, v] : tbl_) {
      if (known_.count(k.str()) > 0)
        continue;
      std::string message = "unknown key";
      std::string_view best;
      size_t best_distance = 3; // suggest only close matches
      for (const auto& candidate : known_) {
        auto d = edit_distance(k.str(), candidate);
        if (d < best_distance) {
          best = candidate;
          best_distance = d;
        }
      }
      if (!best.empty())
        message += " (did you mean " + in_quotes(best) + "?)";
      ctx_.report(k.source(), key_path(k.str()), message);
    }
  }

private:
  context& ctx_;
  const toml::table& tbl_;
  std::string path_;
  std::set<std::string, std::less<>> known_;
};

/// Calls `f(reader)` for the sub-table `key` when present, then reports its
/// unknown keys. Returns whether the table was present.
template<class F>
bool with_table(table_reader& parent, std::string_view key, F&& f) {
  auto* n = parent.get(key);
  if (n == nullptr)
    return false;
  auto* t = n->as_table();
  if (t == nullptr) {
    parent.ctx().report(n->source(), parent.key_path(key),
                        wrong_type("a table", *n));
    return true;
  }
  table_reader r{parent.ctx(), *t, parent.key_path(key)};
  f(r);
  r.finish();
  return true;
}

/// Calls `f(reader, index)` for each table of the array of tables `key`.
template<class F>
void each_table(table_reader& parent, std::string_view key, F&& f) {
  auto* n = parent.get(key);
  if (n == nullptr)
    return;
  auto path = parent.key_path(key);
  auto* a = n->as_array();
  if (a == nullptr) {
    parent.ctx().report(n->source(), path,
                        "must be an array of tables ([[" + path + "]]) (got "
                          + type_name(n->type()) + ")");
    return;
  }
  for (size_t i = 0; i < a->size(); ++i) {
    const auto& el = *a->get(i);
    auto* t = el.as_table();
    if (t == nullptr) {
      parent.ctx().report(el.source(), index_path(path, i),
                          wrong_type("a table", el));
      continue;
    }
    table_reader r{parent.ctx(), *t, index_path(path, i)};
    f(r, i);
    r.finish();
  }
}

// -- value checks -------------------------------------------------------------

std::optional<listen_address> parse_listen(std::string_view x) {
  std::string_view host;
  std::string_view port;
  if (x.starts_with('[')) {
    auto close = x.find(']');
    if (close == std::string_view::npos || x.substr(close + 1, 1) != ":")
      return std::nullopt;
    host = x.substr(1, close - 1);
    port = x.substr(close + 2);
    auto ok = std::all_of(host.begin(), host.end(), [](char c) {
      return std::isxdigit(static_cast<unsigned char>(c)) || c == ':'
             || c == '.';
    });
    if (!ok || host.find(':') == std::string_view::npos)
      return std::nullopt;
  } else {
    auto colon = x.rfind(':');
    if (colon == std::string_view::npos)
      return std::nullopt;
    host = x.substr(0, colon);
    port = x.substr(colon + 1);
    auto ok = std::all_of(host.begin(), host.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '.'
             || c == '-';
    });
    if (!ok)
      return std::nullopt;
  }
  if (host.empty() || port.empty() || port.size() > 5
      || !std::all_of(port.begin(), port.end(), is_digit))
    return std::nullopt;
  auto number = std::stoul(std::string{port});
  if (number > 65535)
    return std::nullopt;
  return listen_address{std::string{host}, static_cast<uint16_t>(number)};
}

bool is_loopback(std::string_view host) {
  if (host == "localhost" || host == "::1")
    return true;
  if (!host.starts_with("127."))
    return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return is_digit(c) || c == '.';
  });
}

enum class url_kind { http, websocket };

/// Why `url` is not acceptable, or nullopt.
std::optional<std::string> url_problem(std::string_view url, url_kind kind) {
  auto secure = kind == url_kind::http ? "https" : "wss";
  auto plain = kind == url_kind::http ? "http" : "ws";
  auto want = kind == url_kind::http ? "must be an http:// or https:// URL"
                                     : "must be a ws:// or wss:// URL";
  auto sep = url.find("://");
  auto scheme
    = sep == std::string_view::npos ? std::string_view{} : url.substr(0, sep);
  if (scheme != secure && scheme != plain)
    return std::string{want} + " (got " + in_quotes(url) + ")";
  auto rest = url.substr(sep + 3);
  if (std::any_of(url.begin(), url.end(), [](char c) {
        return static_cast<unsigned char>(c) <= ' ';
      }))
    return "must not contain spaces or control characters (got "
           + in_quotes(url) + ")";
  if (rest.find_first_of("?#") != std::string_view::npos)
    return "must not have a query or fragment (got " + in_quotes(url) + ")";
  auto authority = rest.substr(0, rest.find('/'));
  if (authority.find('@') != std::string_view::npos)
    return "must not carry credentials (user@host); use client_id and "
           "client_secret";
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return "has an unterminated IPv6 address (got " + in_quotes(url) + ")";
    host = authority.substr(1, close - 1);
    auto after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':'))
      return "has an invalid host (got " + in_quotes(url) + ")";
    if (!after.empty())
      port = after.substr(1);
  } else if (auto colon = authority.find(':');
             colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty())
    return "has no host (got " + in_quotes(url) + ")";
  if (!port.empty() || authority.ends_with(':')) {
    auto ok = !port.empty() && port.size() <= 5
              && std::all_of(port.begin(), port.end(), is_digit);
    if (!ok || std::stoul(std::string{port}) == 0
        || std::stoul(std::string{port}) > 65535)
      return "has an invalid port (got " + in_quotes(url) + ")";
  }
  if (scheme == plain && !is_loopback(host))
    return "plain " + std::string{plain}
           + ":// is only allowed for loopback hosts (127.0.0.1, ::1, "
             "localhost); use "
           + secure + ":// (got " + in_quotes(url) + ")";
  return std::nullopt;
}

bool is_slug(std::string_view x) {
  return !x.empty() && x.size() <= 63 && is_lower_alnum(x.front())
         && is_lower_alnum(x.back())
         && std::all_of(x.begin(), x.end(), [](char c) {
              return is_lower_alnum(c) || c == '-';
            });
}

bool is_identifier(std::string_view x) {
  if (x.empty() || !((x[0] >= 'a' && x[0] <= 'z') || x[0] == '_'))
    return false;
  return std::all_of(x.begin(), x.end(), [](char c) {
    return is_lower_alnum(c) || c == '_';
  });
}

/// "customer.<field>" or "invoice.<field>", field in lower snake case.
bool is_field_name(std::string_view x) {
  auto dot = x.find('.');
  if (dot == std::string_view::npos)
    return false;
  auto entity = x.substr(0, dot);
  return (entity == "customer" || entity == "invoice")
         && is_identifier(x.substr(dot + 1));
}

bool is_metric_name(std::string_view x) {
  auto head = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'
           || c == ':';
  };
  return !x.empty() && head(x[0])
         && std::all_of(x.begin(), x.end(), [&](char c) {
              return head(c) || is_digit(c);
            });
}

bool is_label_name(std::string_view x) {
  return !x.empty() && x.find(':') == std::string_view::npos
         && is_metric_name(x) && !is_digit(x[0]);
}

/// Parses an alert condition: an operator followed by a number ("> 10").
std::optional<std::pair<compare_op, double>>
parse_condition(std::string_view x) {
  auto trim = [](std::string_view s) {
    while (!s.empty() && s.front() == ' ')
      s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ')
      s.remove_suffix(1);
    return s;
  };
  x = trim(x);
  // Two-character operators first.
  constexpr std::array<std::pair<std::string_view, compare_op>, 5> ops{{
    {">=", compare_op::ge},
    {"<=", compare_op::le},
    {"==", compare_op::eq},
    {">", compare_op::gt},
    {"<", compare_op::lt},
  }};
  for (auto [text, op] : ops) {
    if (!x.starts_with(text))
      continue;
    auto number = trim(x.substr(text.size()));
    if (number.empty())
      return std::nullopt;
    double value = 0;
    auto [end, ec]
      = std::from_chars(number.data(), number.data() + number.size(), value);
    if (ec != std::errc{} || end != number.data() + number.size()
        || !std::isfinite(value))
      return std::nullopt;
    return std::pair{op, value};
  }
  return std::nullopt;
}

// -- sections -----------------------------------------------------------------

void read_node(table_reader& r, node_settings& out) {
  if (auto* n = r.get("listen")) {
    if (auto text = as_string(r.ctx(), *n, r.key_path("listen"))) {
      if (auto x = parse_listen(*text))
        out.listen = *x;
      else
        r.report("listen", "must be host:port such as \"127.0.0.1:8080\" or "
                           "\"[::1]:8080\" (got "
                             + in_quotes(*text) + ")");
    }
  }
  std::string id;
  if (r.read("node_id", id)) {
    auto ok = !id.empty() && id.size() <= 253
              && std::all_of(id.begin(), id.end(), [](char c) {
                   return std::isalnum(static_cast<unsigned char>(c))
                          || c == '.' || c == '-' || c == '_';
                 });
    if (ok)
      out.node_id = id;
    else
      r.report("node_id", "must be 1 to 253 letters, digits, '.', '-' or '_' "
                          "(got "
                            + in_quotes(id) + ")");
  }
  r.read_enum("log_level", out.log_level);
  r.read_duration("shutdown_grace", out.shutdown_grace, false);
  with_table(r, "scheduler", [&](table_reader& s) {
    s.read_int("threads", out.scheduler.threads, 1, 256);
    s.read_enum("policy", out.scheduler.policy);
  });
}

void read_database(table_reader& r, database_config& out) {
  std::string url;
  if (r.read("url", url)) {
    // Never echo the value: it may hold a password.
    auto is_uri
      = url.starts_with("postgresql://") || url.starts_with("postgres://");
    if (url.empty())
      r.report("url", "must not be empty");
    else if (!is_uri && url.find('=') == std::string::npos)
      r.report("url", "must be a libpq URI (postgresql://...) or key=value "
                      "connection string (host=... dbname=...)");
    else
      out.url = std::move(url);
  } else if (r.table().get("url") == nullptr) {
    r.report_missing("url");
  }
  r.read_int("pool_size", out.pool_size, 1, 1000);
  r.read_duration("acquire_timeout", out.acquire_timeout, true);
}

void read_supervisor(table_reader& r, supervisor_config& out) {
  r.read_int("max_restarts", out.max_restarts, 0, 1'000'000);
  r.read_duration("restart_period", out.restart_period, true);
}

void read_api(table_reader& r, api_config& out) {
  if (auto* n = r.get("tokens")) {
    auto path = r.key_path("tokens");
    if (auto* a = n->as_array()) {
      std::vector<std::string> xs;
      auto ok = true;
      for (size_t i = 0; i < a->size(); ++i) {
        const auto& el = *a->get(i);
        auto x = as_string(r.ctx(), el, index_path(path, i));
        if (!x) {
          ok = false;
        } else if (x->empty()) {
          // Never echo a token: it is a secret.
          r.ctx().report(el.source(), index_path(path, i),
                         "must not be empty (an unset variable with an empty "
                         "default?)");
          ok = false;
        } else {
          xs.push_back(std::move(*x));
        }
      }
      if (ok)
        out.tokens = std::move(xs);
    } else {
      r.ctx().report(n->source(), path, wrong_type("an array of strings", *n));
    }
  }
  r.read_int("max_body_bytes", out.max_body_bytes, 1, int64_t{1} << 30);
}

void read_jobs(table_reader& r, jobs_config& out) {
  r.read_int("concurrency", out.concurrency, 1, 100'000);
  r.read_int("per_tenant_concurrency", out.per_tenant_concurrency, 1, 100'000);
  r.read_duration("retry_base", out.retry_base, true);
  r.read_duration("retry_cap", out.retry_cap, true);
  r.read_int("max_attempts", out.max_attempts, 1, 1000);
  r.read_duration("lease", out.lease, true);
  r.read_duration("retain_completed", out.retain_completed, true);
  r.read_duration("retain_failed", out.retain_failed, true);
  if (out.per_tenant_concurrency > out.concurrency)
    r.report("per_tenant_concurrency",
             "must not exceed concurrency ("
               + std::to_string(out.per_tenant_concurrency) + " > "
               + std::to_string(out.concurrency)
               + r.default_note("per_tenant_concurrency") + ")");
  if (out.retry_cap < out.retry_base)
    r.report("retry_cap", "must be at least retry_base ("
                            + format_duration(out.retry_cap) + " < "
                            + format_duration(out.retry_base)
                            + r.default_note("retry_cap") + ")");
}

void check_margin(table_reader& r, const rate_limit& x) {
  if (x.margin >= x.window)
    r.report("margin", "must be less than the window ("
                         + format_duration(x.margin)
                         + " >= " + format_duration(x.window)
                         + r.default_note("margin") + ")");
}

void read_rate_limit(table_reader& r, rate_limit& out) {
  r.read_int("requests", out.requests, 1, 1'000'000);
  r.read_duration("window", out.window, true);
  r.read_duration("margin", out.margin, false);
  check_margin(r, out);
}

void read_rate_limits(table_reader& r, rate_limits_config& out) {
  for (auto p : {provider_kind::fortnox, provider_kind::visma}) {
    auto& limit = p == provider_kind::fortnox ? out.fortnox : out.visma;
    with_table(r, to_string(p), [&](table_reader& t) {
      read_rate_limit(t, limit);
    });
  }
}

std::optional<credentials_ref> parse_credentials(std::string_view x) {
  if (x == "db")
    return credentials_ref{};
  if (x.starts_with("env:") && is_env_name(x.substr(4)))
    return credentials_ref{credentials_ref::source::env,
                           std::string{x.substr(4)}};
  constexpr std::string_view cc = "client_credentials:";
  if (x.starts_with(cc) && x.size() > cc.size()
      && std::all_of(x.begin() + cc.size(), x.end(), [](char c) {
           return c >= '0' && c <= '9';
         }))
    return credentials_ref{credentials_ref::source::client_credentials,
                           std::string{x.substr(cc.size())}};
  return std::nullopt;
}

/// create_defaults.<entity>: a table of provider field = string, number or
/// boolean, kept as JSON object text.
void read_create_defaults(table_reader& r, std::string_view entity,
                          std::string& out) {
  auto* n = r.get(entity);
  if (n == nullptr)
    return;
  auto* t = n->as_table();
  if (t == nullptr) {
    r.report(entity, wrong_type("a table of provider field = value", *n));
    return;
  }
  auto json = nlohmann::json::object();
  for (auto&& [k, v] : *t) {
    auto field = std::string{k.str()};
    if (auto s = v.value<std::string>(); s && v.is_string())
      json[field] = *s;
    else if (v.is_boolean())
      json[field] = *v.value<bool>();
    else if (v.is_integer())
      json[field] = *v.value<int64_t>();
    else if (v.is_floating_point())
      json[field] = *v.value<double>();
    else
      r.ctx().report(v.source(), child_path(r.key_path(entity), field),
                     wrong_type("a string, number or boolean", v));
  }
  out = json.dump();
}

/// Why `version` is no API version of `x` ledgerd maps, naming the known
/// ones; std::nullopt when it is one.
std::optional<std::string> unknown_version(provider_kind x,
                                           const std::string& version) {
  auto known = known_api_versions(x);
  if (std::find(known.begin(), known.end(), version) != known.end())
    return std::nullopt;
  auto name = std::string{to_string(x)};
  name[0]
    = static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])));
  std::string list;
  for (auto v : known)
    list += (list.empty() ? "" : ", ") + in_quotes(v);
  return "unknown " + name + " API version " + in_quotes(version)
         + " (known: " + list + ")";
}

/// Returns whether `provider` is valid.
bool read_connection(table_reader& r, connection_config& out) {
  auto has_provider = false;
  if (r.read_enum("provider", out.provider))
    has_provider = true;
  else if (r.table().get("provider") == nullptr)
    r.report_missing("provider");
  auto is_fortnox = out.provider == provider_kind::fortnox;
  // Endpoints: all given, or none (then the real hosts).
  struct endpoint {
    std::string_view key;
    std::string& value;
    url_kind kind;
    bool applies;
  };
  std::array<endpoint, 3> endpoints{{
    {"base_url", out.base_url, url_kind::http, true},
    {"token_url", out.token_url, url_kind::http, true},
    {"websocket_url", out.websocket_url, url_kind::websocket, is_fortnox},
  }};
  std::string_view given;
  for (auto& e : endpoints) {
    if (e.applies && r.table().get(e.key) != nullptr && given.empty())
      given = e.key;
    std::string url;
    if (!r.read(e.key, url))
      continue;
    if (has_provider && !e.applies) {
      r.report(e.key, "is only for fortnox connections (provider is "
                        + std::string{to_string(out.provider)} + ")");
      continue;
    }
    if (auto why = url_problem(url, e.kind)) {
      r.report(e.key, *why);
      continue;
    }
    if (e.key == "base_url")
      while (url.ends_with('/'))
        url.pop_back();
    e.value = std::move(url);
  }
  if (has_provider) {
    for (auto& e : endpoints) {
      if (!e.applies || r.table().get(e.key) != nullptr)
        continue;
      if (!given.empty())
        r.ctx().report(r.table().source(), r.key_path(e.key),
                       "is required when " + std::string{given}
                         + " is set: a connection's endpoints are configured "
                           "together so that a stand-in never mixes with the "
                           "real hosts");
      else if (e.key == "base_url")
        e.value = default_base_url(out.provider);
      else if (e.key == "token_url")
        e.value = default_token_url(out.provider);
      else
        e.value = default_websocket_url(out.provider);
    }
  }
  if (auto* n = r.get("credentials")) {
    if (auto text = as_string(r.ctx(), *n, r.key_path("credentials"))) {
      auto x = parse_credentials(*text);
      if (!x)
        r.report("credentials", "must be \"db\", \"env:NAME\" or "
                                "\"client_credentials:TENANT_ID\" (got "
                                  + in_quotes(*text) + ")");
      else if (x->from == credentials_ref::source::client_credentials
               && has_provider && !is_fortnox)
        r.report("credentials", "client_credentials is only for fortnox "
                                "connections (service accounts)");
      else
        out.credentials = *x;
    }
  }
  if (r.read("client_id", out.client_id) && out.client_id.empty())
    r.report("client_id", "must not be empty");
  else if (r.table().get("client_id") == nullptr)
    r.report_missing("client_id");
  // Never echo the secret.
  if (r.read("client_secret", out.client_secret) && out.client_secret.empty())
    r.report("client_secret", "must not be empty");
  else if (r.table().get("client_secret") == nullptr)
    r.report_missing("client_secret");
  if (r.read("api_version", out.api_version)) {
    auto ok = !out.api_version.empty()
              && std::all_of(
                out.api_version.begin(), out.api_version.end(), [](char c) {
                  return std::isalnum(static_cast<unsigned char>(c)) || c == '.'
                         || c == '-' || c == '_';
                });
    if (!ok)
      r.report("api_version", "must be a path segment of letters, digits, "
                              "'.', '-' or '_' (got "
                                + in_quotes(out.api_version) + ")");
    else if (has_provider)
      if (auto why = unknown_version(out.provider, out.api_version))
        r.report("api_version", *why);
  } else if (has_provider) {
    out.api_version = default_api_version(out.provider);
  }
  r.read("enabled", out.enabled);
  with_table(r, "create_defaults", [&](table_reader& d) {
    read_create_defaults(d, "customer", out.customer_defaults);
    read_create_defaults(d, "invoice", out.invoice_defaults);
  });
  return has_provider;
}

void read_conflicts(table_reader& r, conflict_config& out) {
  r.read_enum("default", out.default_rule);
  r.read_enum("tie_winner", out.tie_winner);
  auto* n = r.get("fields");
  if (n == nullptr)
    return;
  auto path = r.key_path("fields");
  auto* t = n->as_table();
  if (t == nullptr) {
    r.ctx().report(n->source(), path,
                   wrong_type("a table of field = rule", *n));
    return;
  }
  for (auto&& [k, v] : *t) {
    auto field = std::string{k.str()};
    auto field_path = child_path(path, field);
    if (!is_field_name(field)) {
      r.ctx().report(k.source(), field_path,
                     "must name a field as customer.<field> or "
                     "invoice.<field> (lower-case letters, digits and '_')");
      continue;
    }
    if (auto rule = as_enum<conflict_rule>(r.ctx(), v, field_path))
      out.fields.emplace(std::move(field), *rule);
  }
}

void read_sync(table_reader& r, sync_config& out) {
  if (auto* n = r.get("entities")) {
    auto path = r.key_path("entities");
    if (auto* a = n->as_array()) {
      std::vector<entity_kind> xs;
      auto ok = true;
      for (size_t i = 0; i < a->size(); ++i) {
        const auto& el = *a->get(i);
        auto x = as_enum<entity_kind>(r.ctx(), el, index_path(path, i));
        if (!x) {
          ok = false;
        } else if (std::find(xs.begin(), xs.end(), *x) != xs.end()) {
          r.ctx().report(el.source(), index_path(path, i),
                         "lists " + in_quotes(to_string(*x)) + " twice");
          ok = false;
        } else {
          xs.push_back(*x);
        }
      }
      if (a->empty())
        r.report("entities",
                 "must name at least one of " + one_of<entity_kind>());
      else if (ok)
        out.entities = std::move(xs);
    } else {
      r.ctx().report(n->source(), path, wrong_type("an array of strings", *n));
    }
  }
  r.read_duration("poll_interval", out.poll_interval, true);
  r.read_duration("reconcile_interval", out.reconcile_interval, true);
  r.read_duration("pull_overlap", out.pull_overlap, false);
  r.read_duration("in_doubt_settle", out.in_doubt_settle, false);
  r.read_int("event_stretch", out.event_stretch, 1, 1000);
  with_table(r, "conflicts", [&](table_reader& c) {
    read_conflicts(c, out.conflicts);
  });
}

void read_webhooks(table_reader& r, webhook_config& out) {
  if (auto* n = r.get("secrets")) {
    auto path = r.key_path("secrets");
    auto* a = n->as_array();
    if (a == nullptr) {
      r.ctx().report(n->source(), path, wrong_type("an array of strings", *n));
    } else if (a->size() > 2) {
      r.report("secrets", "lists at most two secrets (the current one and, "
                          "while rotating, the next)");
    } else {
      for (size_t i = 0; i < a->size(); ++i) {
        const auto& el = *a->get(i);
        auto value = as_string(r.ctx(), el, index_path(path, i));
        if (!value)
          continue;
        if (!state::webhook_key(*value))
          r.ctx().report(el.source(), index_path(path, i),
                         "must be \"whsec_\" followed by base64");
        else
          out.secrets.push_back(std::move(*value));
      }
    }
  }
  r.read_duration("tolerance", out.tolerance, true);
}

void read_tenant(table_reader& r, tenant_config& out,
                 const rate_limits_config& limits) {
  if (r.read("id", out.id)) {
    if (!is_slug(out.id))
      r.report("id", "must be a slug: 1 to 63 lower-case letters, digits or "
                     "'-', starting and ending with a letter or digit (got "
                       + in_quotes(out.id) + ")");
  } else if (r.table().get("id") == nullptr) {
    r.report_missing("id");
  }
  if (!r.read("name", out.name))
    out.name = out.id;
  std::vector<bool> valid; // per connection: provider is valid
  each_table(r, "connections", [&](table_reader& c, size_t) {
    connection_config x;
    auto ok = read_connection(c, x);
    for (size_t j = 0; ok && j < out.connections.size(); ++j) {
      if (valid[j] && out.connections[j].provider == x.provider) {
        c.report("provider", "tenant already has a "
                               + std::string{to_string(x.provider)}
                               + " connection (" + r.key_path("connections")
                               + "[" + std::to_string(j) + "])");
        break;
      }
    }
    valid.push_back(ok);
    out.connections.push_back(std::move(x));
  });
  if (r.table().get("connections") == nullptr)
    r.ctx().report(r.table().source(), r.key_path("connections"),
                   "is required: at least one [[tenants.connections]]");
  else if (auto* a = r.table().get("connections")->as_array(); a && a->empty())
    r.report("connections", "must have at least one connection");
  with_table(r, "sync", [&](table_reader& s) {
    read_sync(s, out.sync);
  });
  with_table(r, "webhooks", [&](table_reader& w) {
    read_webhooks(w, out.webhooks);
  });
  with_table(r, "rate_limits", [&](table_reader& rl) {
    for (auto&& [k, v] : rl.table()) {
      auto p = from_string<provider_kind>(k.str());
      if (!p)
        continue; // finish() reports it as unknown
      with_table(rl, k.str(), [&](table_reader& t) {
        rate_limit_override x;
        uint32_t requests = 0;
        duration d{};
        if (t.read_int("requests", requests, 1, 1'000'000))
          x.requests = requests;
        if (t.read_duration("window", d, true))
          x.window = d;
        if (t.read_duration("margin", d, false))
          x.margin = d;
        check_margin(t, x.apply(limits.of(*p)));
        if (out.connection(*p) == nullptr)
          t.ctx().report(t.table().source(), t.path(),
                         "tenant has no " + std::string{to_string(*p)}
                           + " connection");
        out.rate_limits.emplace(*p, x);
      });
    }
    // Ask for both so that finish() suggests them for typos.
    rl.get("fortnox");
    rl.get("visma");
  });
}

/// Label matchers `{name = "value"}` at `key`; false when absent.
bool read_labels(table_reader& r, std::string_view key,
                 std::map<std::string, std::string, std::less<>>& out) {
  auto* n = r.get(key);
  if (n == nullptr)
    return false;
  auto path = r.key_path(key);
  auto* t = n->as_table();
  if (t == nullptr) {
    r.ctx().report(n->source(), path,
                   wrong_type("a table of label = \"value\"", *n));
    return true;
  }
  for (auto&& [k, v] : *t) {
    auto label_path = child_path(path, k.str());
    if (!is_label_name(k.str())) {
      r.ctx().report(k.source(), label_path,
                     "must be a Prometheus label name "
                     "([a-zA-Z_][a-zA-Z0-9_]*)");
      continue;
    }
    if (auto value = as_string(r.ctx(), v, label_path))
      out.emplace(std::string{k.str()}, std::move(*value));
  }
  return true;
}

/// Checks that the rule's metric is one ledgerd exports, that its labels
/// are the metric's, and that window, quantile and ratio_of fit its type.
void read_alert_metric_use(table_reader& r, alert_rule& out) {
  if (auto* q = r.get("quantile")) {
    auto v = q->value<double>();
    if (!v || *v <= 0 || *v >= 1)
      r.report("quantile", "must be a number between 0 and 1 (exclusive)");
    else
      out.quantile = *v;
  }
  read_labels(r, "ratio_of", out.ratio_of);
  const auto* m = state::find_metric(out.metric);
  if (out.metric.empty() || !is_metric_name(out.metric))
    return;
  if (m == nullptr) {
    r.report("metric", "is not a metric ledgerd exports (got "
                         + in_quotes(out.metric)
                         + "; README.md lists them under Metrics)");
    return;
  }
  auto check_labels = [&](const auto& labels, std::string_view key) {
    for (const auto& [k, _] : labels)
      if (std::find(m->labels.begin(), m->labels.end(), k) == m->labels.end())
        r.report(key, in_quotes(k) + " is not a label of " + out.metric);
  };
  check_labels(out.labels, "labels");
  check_labels(out.ratio_of, "ratio_of");
  using state::metric_type;
  auto bad_quantile = r.get("quantile") != nullptr && !out.quantile;
  if (m->type == metric_type::histogram && !bad_quantile
      && (!out.quantile || out.window == duration::zero()))
    r.report("quantile",
             out.metric + " is a histogram: set quantile and window");
  if (m->type != metric_type::histogram && out.quantile)
    r.report("quantile", "is only for histograms");
  if (m->type == metric_type::gauge && out.window != duration::zero())
    r.report("window", out.metric + " is a gauge: it has no window");
  if (!out.ratio_of.empty()
      && (m->type != metric_type::counter || out.window == duration::zero()))
    r.report("ratio_of", "needs a counter metric and a window");
}

void read_alert(table_reader& r, alert_rule& out) {
  if (r.read("name", out.name)) {
    if (out.name.empty())
      r.report("name", "must not be empty");
  } else if (r.table().get("name") == nullptr) {
    r.report_missing("name");
  }
  if (r.read("metric", out.metric)) {
    if (!is_metric_name(out.metric))
      r.report("metric", "must be a Prometheus metric name "
                         "([a-zA-Z_:][a-zA-Z0-9_:]*) (got "
                           + in_quotes(out.metric) + ")");
  } else if (r.table().get("metric") == nullptr) {
    r.report_missing("metric");
  }
  read_labels(r, "labels", out.labels);
  if (auto* n = r.get("condition")) {
    if (auto text = as_string(r.ctx(), *n, r.key_path("condition"))) {
      if (auto x = parse_condition(*text)) {
        out.op = x->first;
        out.threshold = x->second;
      } else {
        r.report("condition",
                 "must be an operator (>, >=, <, <= or ==) followed by a "
                 "number, such as \"> 0\" or \">= 0.5\" (got "
                   + in_quotes(*text) + ")");
      }
    }
  } else {
    r.report_missing("condition");
  }
  r.read_duration("for", out.for_duration, false);
  r.read_enum("severity", out.severity);
  r.read_duration("window", out.window, true);
  std::string aggregate;
  if (r.read("aggregate", aggregate)) {
    if (aggregate == "max")
      out.aggregate_max = true;
    else if (aggregate != "sum")
      r.report("aggregate",
               "must be sum or max (got " + in_quotes(aggregate) + ")");
  }
  read_alert_metric_use(r, out);
}

void read_monitor(table_reader& r, monitor_config& out) {
  r.read_duration("interval", out.interval, true);
  if (r.read("alert_webhook", out.alert_webhook) && !out.alert_webhook.empty())
    if (auto why = url_problem(out.alert_webhook, url_kind::http))
      r.report("alert_webhook", *why);
  r.read_int("alert_webhook_attempts", out.alert_webhook_attempts, 1, 100);
  r.read_duration("alert_webhook_timeout", out.alert_webhook_timeout, true);
}

node_config read_root(table_reader& root) {
  node_config cfg;
  auto& ctx = root.ctx();
  with_table(root, "node", [&](table_reader& r) {
    read_node(r, cfg.node);
  });
  auto has_db = with_table(root, "database", [&](table_reader& r) {
    read_database(r, cfg.database);
  });
  if (!has_db)
    ctx.report(root.table().source(), "database.url",
               "is required (add a [database] table with url = ...)");
  with_table(root, "supervisor", [&](table_reader& r) {
    read_supervisor(r, cfg.supervisor);
  });
  with_table(root, "jobs", [&](table_reader& r) {
    read_jobs(r, cfg.jobs);
  });
  with_table(root, "api", [&](table_reader& r) {
    read_api(r, cfg.api);
  });
  with_table(root, "monitor", [&](table_reader& r) {
    read_monitor(r, cfg.monitor);
  });
  with_table(root, "rate_limits", [&](table_reader& r) {
    read_rate_limits(r, cfg.rate_limits);
  });
  each_table(root, "tenants", [&](table_reader& r, size_t) {
    tenant_config t;
    read_tenant(r, t, cfg.rate_limits);
    if (!t.id.empty()) {
      for (size_t j = 0; j < cfg.tenants.size(); ++j) {
        if (cfg.tenants[j].id == t.id) {
          r.report("id", "duplicate tenant id " + in_quotes(t.id)
                           + " (also tenants[" + std::to_string(j) + "])");
          break;
        }
      }
    }
    cfg.tenants.push_back(std::move(t));
  });
  each_table(root, "alerts", [&](table_reader& r, size_t) {
    alert_rule a;
    read_alert(r, a);
    if (!a.name.empty()) {
      for (size_t j = 0; j < cfg.alerts.size(); ++j) {
        if (cfg.alerts[j].name == a.name) {
          r.report("name", "duplicate alert name " + in_quotes(a.name)
                             + " (also alerts[" + std::to_string(j) + "])");
          break;
        }
      }
    }
    cfg.alerts.push_back(std::move(a));
  });
  return cfg;
}

} // namespace

// -- entry points -------------------------------------------------------------

config_result parse_config(std::string_view text, std::string_view source_name,
                           const env_lookup& env) {
  context ctx{std::string{source_name}, env, {}};
  toml::table tbl;
  try {
    tbl = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    ctx.report(e.source(), {}, std::string{e.description()});
    return config_result{std::move(ctx.problems)};
  }
  table_reader root{ctx, tbl, ""};
  auto cfg = read_root(root);
  root.finish();
  if (!ctx.problems.empty()) {
    // In file order; problems without a location first.
    std::stable_sort(
      ctx.problems.begin(), ctx.problems.end(),
      [](const problem& a, const problem& b) {
        return std::pair{a.line, a.column} < std::pair{b.line, b.column};
      });
    return config_result{std::move(ctx.problems)};
  }
  return config_result{std::move(cfg)};
}

config_result load_config(const std::filesystem::path& path,
                          const env_lookup& env) {
  std::ifstream in{path, std::ios::binary};
  if (!in) {
    auto err = errno;
    return config_result{std::vector<problem>{
      problem{path.string(),
              0,
              0,
              {},
              std::string{"cannot read the file: "} + std::strerror(err)}}};
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad())
    return config_result{std::vector<problem>{
      problem{path.string(), 0, 0, {}, "cannot read the file"}}};
  return parse_config(text.str(), path.string(), env);
}

} // namespace ledgerd::config
