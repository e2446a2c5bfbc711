// The HTTP client: a keep-alive pool per (scheme, host, port) on one io
// thread. All pool and request state is touched only on that thread, so no
// locks or strands; `send` posts onto it and only the counters in
// `client_stats` are read from other threads (atomics).
#include "adapters/http/client.hpp"

#include "adapters/http/asio.hpp"
#include "adapters/http/client_message.hpp"
#include "adapters/http/gzip.hpp"
#include "adapters/http/io_loop.hpp"
#include "adapters/http/text.hpp"
#include "adapters/log.hpp"
#include "state/retry_after.hpp"

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <deque>
#include <exception>
#include <future>
#include <mutex>
#include <openssl/ssl.h>
#include <optional>
#include <random>
#include <stdexcept>
#include <sys/socket.h>
#include <system_error>
#include <thread>
#include <unordered_map>

namespace ledgerd::http {

namespace {

constexpr std::string_view component = "http_client";

/// Providers send large cookie and rate-limit headers; Beast's 8 KiB default
/// is too tight.
constexpr std::uint32_t max_header_bytes = 64 * 1024;

using steady = std::chrono::steady_clock;

std::string_view trim(std::string_view x) {
  while (!x.empty() && (x.front() == ' ' || x.front() == '\t'))
    x.remove_prefix(1);
  while (!x.empty() && (x.back() == ' ' || x.back() == '\t'))
    x.remove_suffix(1);
  return x;
}

/// True when nothing (neither data nor EOF) waits on an idle connection.
/// Catches the common case of a server that closed an idle keep-alive
/// connection before we reuse it, which matters for non-idempotent requests
/// that are never retried.
bool quiet(tcp::socket& s) {
  char byte = 0;
  auto n = ::recv(s.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

bool is_ip_literal(const std::string& host) {
  beast::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

/// Methods that may be repeated safely after a stale connection failed.
bool idempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "PUT"
         || method == "DELETE" || method == "OPTIONS";
}

long long millis(std::chrono::milliseconds x) {
  return static_cast<long long>(x.count());
}

} // namespace

namespace detail {

struct host_pool;

/// One TCP (or TLS) connection of a pool.
struct client_connection {
  client_connection(asio::io_context& ioc, asio::ssl::context* tls_ctx,
                    host_pool& hp)
    : resolver(ioc)
    , idle_timer(ioc)
    , pool(&hp) {
    if (tls_ctx != nullptr)
      tls.emplace(ioc, *tls_ctx);
    else
      plain.emplace(ioc);
  }

  beast::tcp_stream& tcp() {
    return tls ? beast::get_lowest_layer(*tls) : *plain;
  }

  /// Calls `f` with the stream requests go through.
  template<class F>
  void visit(F&& f) {
    if (tls)
      f(*tls);
    else
      f(*plain);
  }

  void close() {
    resolver.cancel();
    idle_timer.cancel();
    // No TLS close_notify: it can block on a dead peer, and HTTP framing
    // already tells where each response ends.
    tcp().close();
  }

  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  tcp::resolver resolver;
  asio::steady_timer idle_timer;
  beast::flat_buffer buffer;
  host_pool* pool;
  /// Requests started on this connection.
  uint64_t uses = 0;
  /// Tells an idle timer which idle period it belongs to.
  uint64_t idle_gen = 0;
  bool idle = false;
  bool discarded = false;
};

using connection_ptr = std::shared_ptr<client_connection>;

struct client_exchange;

using exchange_ptr = std::shared_ptr<client_exchange>;

struct host_pool {
  /// Idle keep-alive connections, most recently used last.
  std::vector<connection_ptr> idle;
  /// Requests waiting for a connection, FIFO.
  std::deque<exchange_ptr> waiting;
  /// Connections counted against the limit: connecting, busy or idle.
  std::size_t open = 0;
};

/// One request from `send` to its completion.
struct client_exchange {
  explicit client_exchange(asio::io_context& ioc)
    : total_timer(ioc) {}

  client_request req;
  completion done;
  std::string id;
  steady::time_point start;
  client_url url;
  request_message msg;
  std::optional<bhttp::response_parser<bhttp::string_body>> parser;
  /// The connection this request is connecting or talking on.
  connection_ptr conn;
  host_pool* pool = nullptr;
  asio::steady_timer total_timer;
  bool queued = false;
  bool write_started = false;
  bool retried = false;
  bool finished = false;
};

} // namespace detail

using detail::client_exchange;
using detail::client_url;
using detail::connection_ptr;
using detail::exchange_ptr;
using detail::host_pool;

struct client::impl {
  explicit impl(client_options o);

  void start(exchange_ptr x);
  void arm_total_timer(const exchange_ptr& x);
  void acquire(const exchange_ptr& x);
  void dispatch(host_pool& hp);
  void connect_new(const exchange_ptr& x);
  template<class Endpoints>
  void connect(const exchange_ptr& x, const connection_ptr& c,
               const Endpoints& eps);
  void handshake(const exchange_ptr& x, const connection_ptr& c);
  void begin_exchange(const exchange_ptr& x, const connection_ptr& c);
  void new_parser(client_exchange& x);
  void read_more(const exchange_ptr& x, const connection_ptr& c);
  void on_read(const exchange_ptr& x, const connection_ptr& c,
               beast::error_code ec);
  void on_exchange_error(const exchange_ptr& x, const connection_ptr& c,
                         beast::error_code ec);
  void on_response(const exchange_ptr& x, const connection_ptr& c);
  client_result make_result(bhttp::response<bhttp::string_body> res) const;
  std::string describe(const client_exchange& x, beast::error_code ec) const;
  void on_total_timeout(const exchange_ptr& x);
  void make_idle(const connection_ptr& c);
  connection_ptr take_idle(host_pool& hp);
  void discard(const connection_ptr& c);
  void fail_conn(const exchange_ptr& x, const connection_ptr& c, failure f,
                 std::string message);
  void fail(exchange_ptr x, failure f, std::string message);
  void complete(exchange_ptr x, client_result r);
  void shutdown();
  void run_io();

  std::chrono::milliseconds total_limit(const client_exchange& x) const {
    return x.req.total_timeout.count() > 0 ? x.req.total_timeout
                                           : opts.total_timeout;
  }

  /// True when a callback for `c` belongs to an attempt that is over.
  static bool stale(const client_exchange& x, const connection_ptr& c) {
    return x.finished || x.conn != c;
  }

  client_options opts;
  asio::ssl::context tls_ctx;
  asio::io_context ioc;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>>
    work;
  /// Guards `stopped` against `send`: a send either posts before the
  /// shutdown or fails on its caller's thread.
  std::mutex mtx;
  bool stopped = false;
  /// Serializes concurrent `stop` calls.
  std::mutex stop_mtx;
  std::thread thread;
  /// Set before the io thread starts, constant afterwards.
  std::thread::id io_thread_id;
  /// Io thread only from here on.
  bool stopping = false;
  std::map<std::string, host_pool> pools;
  std::unordered_map<client_exchange*, exchange_ptr> live;
  std::atomic<uint64_t> connects{0};
  std::atomic<uint64_t> reused{0};
  std::atomic<uint64_t> open{0};
  std::atomic<uint64_t> queued{0};
};

namespace {

asio::ssl::context make_tls_context(const client_options& opts) {
  asio::ssl::context ctx{asio::ssl::context::tls_client};
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  if (!opts.verify_tls) {
    ctx.set_verify_mode(asio::ssl::verify_none);
    return ctx;
  }
  ctx.set_verify_mode(asio::ssl::verify_peer);
  beast::error_code ec;
  if (opts.ca_file.empty())
    ctx.set_default_verify_paths(ec);
  else
    ctx.load_verify_file(opts.ca_file, ec);
  if (ec)
    throw std::system_error(
      ec, "http client: cannot load trusted CAs "
            + (opts.ca_file.empty() ? "(default paths)" : opts.ca_file));
  return ctx;
}

void log_outcome(const client_exchange& x, const client_result& r) {
  if (r.ok())
    return;
  // Network trouble and server errors need attention; 4xx answers are the
  // caller's business and usually expected (404 lookups, 429 back-off).
  auto serious = r.error == failure::network || r.error == failure::timeout
                 || r.error == failure::transient;
  auto lvl = serious ? log::level::warn : log::level::debug;
  if (!log::enabled(lvl))
    return;
  log::write(
    lvl, component, "request failed",
    {{"request_id", x.id},
     {"method", x.req.method},
     {"host", x.url.authority()},
     {"path", x.url.path()},
     {"failure", to_string(r.error)},
     {"status", r.status},
     {"message", r.message},
     {"maybe_sent", r.maybe_sent},
     {"elapsed_ms", static_cast<long long>(r.elapsed.count() / 1000)}});
}

} // namespace

client::impl::impl(client_options o)
  : opts(std::move(o))
  , tls_ctx(make_tls_context(opts)) {
  opts.max_connections_per_host
    = std::max<std::size_t>(opts.max_connections_per_host, 1);
}

// -- request lifecycle (io thread) --------------------------------------------

void client::impl::start(exchange_ptr x) {
  live.emplace(x.get(), x);
  if (stopping)
    return fail(x, failure::network, "client stopped");
  arm_total_timer(x);
  auto url = detail::parse_url(x->req.url);
  if (!url)
    return fail(x, failure::network, "malformed URL");
  x->url = std::move(*url);
  try {
    x->msg = build_message(x->req, x->url, x->id, opts);
  } catch (const std::exception& e) {
    return fail(x, failure::network,
                std::string{"cannot build request: "} + e.what());
  }
  acquire(x);
}

void client::impl::arm_total_timer(const exchange_ptr& x) {
  x->total_timer.expires_at(x->start + total_limit(*x));
  x->total_timer.async_wait([this, x](beast::error_code ec) {
    if (!ec && !x->finished)
      on_total_timeout(x);
  });
}

void client::impl::on_total_timeout(const exchange_ptr& x) {
  auto* hp = x->pool;
  if (x->queued) {
    auto& q = hp->waiting;
    q.erase(std::remove(q.begin(), q.end(), x), q.end());
    x->queued = false;
    --queued;
  }
  if (auto c = x->conn) {
    x->conn.reset();
    discard(c);
  }
  fail(x, failure::timeout,
       "no complete response within the total timeout of "
         + std::to_string(millis(total_limit(*x))) + " ms");
  if (hp != nullptr)
    dispatch(*hp);
}

// -- the pool -----------------------------------------------------------------

void client::impl::acquire(const exchange_ptr& x) {
  auto& hp = pools[x->url.key()];
  x->pool = &hp;
  // Waiting requests go first (FIFO) even when a slot just freed up.
  if (hp.waiting.empty()) {
    if (auto c = take_idle(hp)) {
      ++reused;
      return begin_exchange(x, c);
    }
    if (hp.open < opts.max_connections_per_host)
      return connect_new(x);
  }
  x->queued = true;
  hp.waiting.push_back(x);
  ++queued;
}

void client::impl::dispatch(host_pool& hp) {
  while (!stopping && !hp.waiting.empty()) {
    auto c = take_idle(hp);
    if (!c && hp.open >= opts.max_connections_per_host)
      return;
    auto x = hp.waiting.front();
    hp.waiting.pop_front();
    x->queued = false;
    --queued;
    if (c) {
      ++reused;
      begin_exchange(x, c);
    } else {
      connect_new(x);
    }
  }
}

void client::impl::make_idle(const connection_ptr& c) {
  c->idle = true;
  auto gen = ++c->idle_gen;
  c->tcp().expires_never();
  c->pool->idle.push_back(c);
  c->idle_timer.expires_after(opts.idle_timeout);
  c->idle_timer.async_wait([this, c, gen](beast::error_code ec) {
    if (!ec && c->idle && c->idle_gen == gen)
      discard(c);
  });
}

connection_ptr client::impl::take_idle(host_pool& hp) {
  while (!hp.idle.empty()) {
    auto c = hp.idle.back();
    hp.idle.pop_back();
    c->idle = false;
    c->idle_timer.cancel();
    if (c->buffer.size() == 0 && quiet(c->tcp().socket()))
      return c;
    log::debug(component, "dropping a keep-alive connection the peer closed");
    discard(c);
  }
  return nullptr;
}

void client::impl::discard(const connection_ptr& c) {
  if (c->discarded)
    return;
  c->discarded = true;
  if (c->idle) {
    auto& v = c->pool->idle;
    v.erase(std::remove(v.begin(), v.end(), c), v.end());
    c->idle = false;
  }
  c->close();
  --c->pool->open;
  --open;
}

// -- connecting ---------------------------------------------------------------

void client::impl::connect_new(const exchange_ptr& x) {
  auto& hp = *x->pool;
  ++hp.open;
  ++open;
  auto c = std::make_shared<detail::client_connection>(
    ioc, x->url.tls ? &tls_ctx : nullptr, hp);
  x->conn = c;
  beast::error_code ec;
  auto addr = asio::ip::make_address(x->url.host, ec);
  if (!ec) {
    std::array<tcp::endpoint, 1> eps{tcp::endpoint{addr, x->url.port}};
    return connect(x, c, eps);
  }
  // The total deadline bounds resolving (the resolver has no timeout).
  c->resolver.async_resolve(
    x->url.host, std::to_string(x->url.port),
    [this, x, c](beast::error_code ec, tcp::resolver::results_type eps) {
      if (stale(*x, c))
        return;
      if (ec)
        return fail_conn(x, c, failure::network,
                         "cannot resolve " + x->url.host + ": " + ec.message());
      connect(x, c, eps);
    });
}

template<class Endpoints>
void client::impl::connect(const exchange_ptr& x, const connection_ptr& c,
                           const Endpoints& eps) {
  // This deadline covers the TLS handshake too.
  c->tcp().expires_after(opts.connect_timeout);
  c->tcp().async_connect(
    eps, [this, x, c](beast::error_code ec, const tcp::endpoint&) {
      if (stale(*x, c))
        return;
      auto where = x->url.authority();
      if (ec == beast::error::timeout)
        return fail_conn(x, c, failure::timeout,
                         "connect to " + where + " timed out after "
                           + std::to_string(millis(opts.connect_timeout))
                           + " ms");
      if (ec)
        return fail_conn(x, c, failure::network,
                         "connect to " + where + " failed: " + ec.message());
      ++connects;
      if (c->tls)
        return handshake(x, c);
      begin_exchange(x, c);
    });
}

void client::impl::handshake(const exchange_ptr& x, const connection_ptr& c) {
  auto& s = *c->tls;
  const auto& host = x->url.host;
  // SNI takes host names only (RFC 6066).
  if (!is_ip_literal(host)
      && SSL_set_tlsext_host_name(s.native_handle(), host.c_str()) != 1)
    return fail_conn(x, c, failure::network, "cannot set TLS SNI for " + host);
  if (opts.verify_tls)
    s.set_verify_callback(asio::ssl::host_name_verification{host});
  s.async_handshake(asio::ssl::stream_base::client, [this, x,
                                                     c](beast::error_code ec) {
    if (stale(*x, c))
      return;
    if (!ec)
      return begin_exchange(x, c);
    auto f = ec == beast::error::timeout ? failure::timeout : failure::network;
    fail_conn(x, c, f,
              "TLS handshake with " + x->url.authority()
                + " failed: " + ec.message());
  });
}

// -- one exchange on a connection ---------------------------------------------

void client::impl::new_parser(client_exchange& x) {
  x.parser.emplace();
  x.parser->body_limit(opts.max_response_bytes);
  x.parser->header_limit(max_header_bytes);
  if (x.msg.method() == bhttp::verb::head)
    x.parser->skip(true);
}

void client::impl::begin_exchange(const exchange_ptr& x,
                                  const connection_ptr& c) {
  ++c->uses;
  x->conn = c;
  new_parser(*x);
  x->write_started = true;
  // A stalled write is silence too.
  c->tcp().expires_after(opts.read_timeout);
  c->visit([&](auto& s) {
    bhttp::async_write(s, x->msg,
                       [this, x, c](beast::error_code ec, std::size_t) {
                         if (stale(*x, c))
                           return;
                         if (ec)
                           return on_exchange_error(x, c, ec);
                         read_more(x, c);
                       });
  });
}

void client::impl::read_more(const exchange_ptr& x, const connection_ptr& c) {
  // Idle deadline: renewed before every read.
  c->tcp().expires_after(opts.read_timeout);
  c->visit([&](auto& s) {
    bhttp::async_read_some(s, c->buffer, *x->parser,
                           [this, x, c](beast::error_code ec, std::size_t) {
                             on_read(x, c, ec);
                           });
  });
}

void client::impl::on_read(const exchange_ptr& x, const connection_ptr& c,
                           beast::error_code ec) {
  if (stale(*x, c))
    return;
  if (ec)
    return on_exchange_error(x, c, ec);
  if (!x->parser->is_done())
    return read_more(x, c);
  auto status = x->parser->get().result_int();
  // An interim response (100 Continue, 103 Early Hints): the final one
  // follows on the same connection.
  if (status >= 100 && status < 200 && status != 101) {
    new_parser(*x);
    return read_more(x, c);
  }
  on_response(x, c);
}

void client::impl::on_exchange_error(const exchange_ptr& x,
                                     const connection_ptr& c,
                                     beast::error_code ec) {
  auto& hp = *c->pool;
  discard(c);
  x->conn.reset();
  // Servers close idle keep-alive connections whenever they like; a request
  // that hit one got no answer at all and may go again on a fresh one.
  auto silent = !x->parser->got_some() && c->buffer.size() == 0;
  if (silent && c->uses > 1 && !x->retried && x->req.retry_stale
      && ec != beast::error::timeout && idempotent(x->req.method)) {
    x->retried = true;
    log::debug(component, "stale keep-alive connection, retrying",
               {{"request_id", x->id}, {"error", ec.message()}});
    return connect_new(x);
  }
  auto f = ec == beast::error::timeout ? failure::timeout : failure::network;
  fail(x, f, describe(*x, ec));
  dispatch(hp);
}

std::string client::impl::describe(const client_exchange& x,
                                   beast::error_code ec) const {
  auto where = x.url.authority();
  if (ec == beast::error::timeout)
    return "no response bytes from " + where + " within "
           + std::to_string(millis(opts.read_timeout)) + " ms";
  if (ec == bhttp::error::body_limit)
    return "response body from " + where + " larger than "
           + std::to_string(opts.max_response_bytes) + " bytes";
  if (ec == bhttp::error::header_limit)
    return "response header from " + where + " too large";
  if (ec == bhttp::error::partial_message)
    return "response from " + where + " truncated";
  if (ec == bhttp::error::end_of_stream)
    return where + " closed the connection before responding";
  return "exchange with " + where + " failed: " + ec.message();
}

void client::impl::on_response(const exchange_ptr& x, const connection_ptr& c) {
  auto res = x->parser->release();
  auto& hp = *c->pool;
  // Leftover bytes after a complete response mean the framing is off; after
  // 101 the connection speaks another protocol.
  auto keep = res.keep_alive() && c->buffer.size() == 0 && !stopping
              && res.result_int() != 101;
  x->conn.reset();
  if (keep)
    make_idle(c);
  else
    discard(c);
  auto r = make_result(std::move(res));
  // The server answered, so the request reached it.
  r.maybe_sent = !r.ok();
  complete(x, std::move(r));
  dispatch(hp);
}

client_result
client::impl::make_result(bhttp::response<bhttp::string_body> res) const {
  client_result r;
  r.status = static_cast<int>(res.result_int());
  r.message = std::string{sv(res.reason())};
  for (const auto& f : res) {
    auto [it, fresh] = r.headers.emplace(lower(sv(f.name_string())),
                                         std::string{sv(f.value())});
    if (!fresh)
      it->second.append(", ").append(sv(f.value()));
  }
  r.body = std::move(res.body());
  auto encoding = lower(trim(r.header("content-encoding")));
  if (!r.body.empty() && (encoding == "gzip" || encoding == "x-gzip")) {
    auto inflated = gzip_inflate(r.body, opts.max_response_bytes);
    if (!inflated) {
      r.error = failure::network;
      r.message = "gzip response body corrupt or larger than "
                  + std::to_string(opts.max_response_bytes) + " bytes";
      r.body.clear();
      return r;
    }
    r.body = std::move(*inflated);
  }
  r.error = classify_status(r.status);
  if (r.status == 429 || r.status == 503)
    if (auto s = state::parse_retry_after(r.header("retry-after")))
      r.retry_after = *s;
  return r;
}

// -- completion ---------------------------------------------------------------

void client::impl::fail_conn(const exchange_ptr& x, const connection_ptr& c,
                             failure f, std::string message) {
  auto& hp = *c->pool;
  discard(c);
  x->conn.reset();
  fail(x, f, std::move(message));
  dispatch(hp);
}

void client::impl::fail(exchange_ptr x, failure f, std::string message) {
  client_result r;
  r.error = f;
  r.message = std::move(message);
  r.maybe_sent = x->write_started;
  complete(std::move(x), std::move(r));
}

void client::impl::complete(exchange_ptr x, client_result r) {
  if (x->finished)
    return;
  x->finished = true;
  x->total_timer.cancel();
  live.erase(x.get());
  r.request_id = x->id;
  r.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
    steady::now() - x->start);
  r.received_at = std::chrono::system_clock::now();
  log_outcome(*x, r);
  auto done = std::move(x->done);
  x->done = nullptr;
  try {
    done(std::move(r));
  } catch (const std::exception& e) {
    log::error(component, "completion threw",
               {{"request_id", x->id}, {"error", e.what()}});
  } catch (...) {
    log::error(component, "completion threw", {{"request_id", x->id}});
  }
}

void client::impl::shutdown() {
  stopping = true;
  std::vector<exchange_ptr> all;
  all.reserve(live.size());
  for (auto& kvp : live)
    all.push_back(kvp.second);
  for (auto& [key, hp] : pools) {
    hp.waiting.clear();
    auto idle = hp.idle;
    for (auto& c : idle)
      discard(c);
  }
  queued = 0;
  for (auto& x : all) {
    x->queued = false;
    if (auto c = x->conn) {
      x->conn.reset();
      discard(c);
    }
    fail(x, failure::network, "client stopped");
  }
}

void client::impl::run_io() {
  detail::run_io_loop(ioc, component);
}

// -- client -------------------------------------------------------------------

client::client(client_options opts)
  : impl_(std::make_shared<impl>(std::move(opts))) {
  auto* d = impl_.get();
  d->work.emplace(asio::make_work_guard(d->ioc));
  d->thread = std::thread{[d] {
    d->run_io();
  }};
  d->io_thread_id = d->thread.get_id();
}

client::~client() {
  stop();
}

void client::send(client_request req, completion done) {
  auto& d = *impl_;
  auto start = steady::now();
  auto id = detail::request_id_of(req);
  {
    std::lock_guard guard{d.mtx};
    if (!d.stopped) {
      auto x = std::make_shared<client_exchange>(d.ioc);
      x->req = std::move(req);
      x->done = std::move(done);
      x->id = std::move(id);
      x->start = start;
      asio::post(d.ioc, [&d, x] {
        d.start(x);
      });
      return;
    }
  }
  client_result r;
  r.error = failure::network;
  r.message = "client stopped";
  r.request_id = std::move(id);
  done(std::move(r));
}

client_result client::send_sync(client_request req) {
  auto result = std::make_shared<std::promise<client_result>>();
  auto fut = result->get_future();
  send(std::move(req), [result](client_result r) {
    result->set_value(std::move(r));
  });
  return fut.get();
}

client_stats client::stats() const {
  client_stats out;
  out.connects = impl_->connects.load();
  out.reused = impl_->reused.load();
  out.open = impl_->open.load();
  out.queued = impl_->queued.load();
  return out;
}

void client::stop() {
  auto& d = *impl_;
  if (std::this_thread::get_id() == d.io_thread_id)
    throw std::logic_error("http client: stop() called on its io thread");
  std::lock_guard stop_guard{d.stop_mtx};
  {
    std::lock_guard guard{d.mtx};
    if (d.stopped)
      return;
    d.stopped = true;
  }
  std::promise<void> drained;
  auto fut = drained.get_future();
  asio::post(d.ioc, [&d, &drained] {
    try {
      d.shutdown();
    } catch (...) {
      log::error(component, "exception while stopping");
    }
    drained.set_value();
  });
  fut.wait();
  d.work.reset();
  d.ioc.stop();
  d.thread.join();
  // The io thread is gone: this thread owns the pool state now.
  d.live.clear();
  d.pools.clear();
}

} // namespace ledgerd::http
