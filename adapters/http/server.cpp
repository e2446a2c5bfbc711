#include "adapters/http/server.hpp"

#include "adapters/http/asio.hpp"
#include "adapters/http/io_loop.hpp"
#include "adapters/log.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <deque>
#include <exception>
#include <future>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <unordered_map>

namespace ledgerd::http {

namespace {

constexpr std::string_view component = "http_server";

/// How long a connection that got an error response (400, 413, ...) may keep
/// sending before we close it. Reading the rest keeps the kernel from
/// answering with RST, which could destroy the error response in flight.
constexpr auto linger_timeout = std::chrono::seconds{2};

/// At most this much is read and dropped while lingering.
constexpr std::size_t linger_max_bytes = 1024 * 1024;

/// Splits "/a/b" into {"a", "b"}; "/" gives no segments. Returns nullopt for
/// paths that do not start with '/'.
std::optional<std::vector<std::string_view>> split_path(std::string_view path) {
  if (path.empty() || path.front() != '/')
    return std::nullopt;
  path.remove_prefix(1);
  std::vector<std::string_view> out;
  if (path.empty())
    return out;
  for (;;) {
    auto pos = path.find('/');
    out.push_back(path.substr(0, pos));
    if (pos == std::string_view::npos)
      return out;
    path.remove_prefix(pos + 1);
  }
}

/// "host:port", or "[host]:port" for IPv6 literals.
std::string endpoint_string(std::string_view host, uint16_t port) {
  std::string out;
  if (host.find(':') != std::string_view::npos) {
    out += '[';
    out += host;
    out += ']';
  } else {
    out += host;
  }
  out += ':';
  out += std::to_string(port);
  return out;
}

/// Frames `payload` as one HTTP/1.1 chunk.
std::string make_chunk(std::string_view payload) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string size;
  for (auto n = payload.size(); n > 0; n /= 16)
    size.insert(size.begin(), digits[n % 16]);
  if (size.empty())
    size = "0";
  std::string out;
  out.reserve(size.size() + payload.size() + 4);
  out += size;
  out += "\r\n";
  out += payload;
  out += "\r\n";
  return out;
}

/// Formats one server-sent event.
std::string make_event(std::string_view event, std::string_view data) {
  std::string out;
  if (!event.empty()) {
    out += "event: ";
    out += event;
    out += '\n';
  }
  for (;;) {
    auto pos = data.find('\n');
    auto line = data.substr(0, pos);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    out += "data: ";
    out += line;
    out += '\n';
    if (pos == std::string_view::npos)
      break;
    data.remove_prefix(pos + 1);
  }
  out += '\n';
  return out;
}

/// True for header fields the server manages itself.
bool managed_field(std::string_view name) {
  return iequals(name, "content-length") || iequals(name, "transfer-encoding")
         || iequals(name, "connection");
}

bool has_line_break(std::string_view x) {
  return x.find_first_of("\r\n") != std::string_view::npos;
}

response error_response(int status, std::string_view message) {
  return response::json(status, nlohmann::json{{"error", message}});
}

} // namespace

namespace detail {

/// Posts work onto the server's io_context while it exists; afterwards the
/// work is dropped. Responders and streams reach the server only through
/// this, so they may outlive it.
struct gate {
  std::mutex mtx;
  asio::io_context* ioc = nullptr;

  template<class F>
  bool post(F&& f) {
    std::lock_guard guard{mtx};
    if (ioc == nullptr)
      return false;
    asio::post(*ioc, std::forward<F>(f));
    return true;
  }

  void close() {
    std::lock_guard guard{mtx};
    ioc = nullptr;
  }
};

class session;

struct responder_state {
  responder_state(std::shared_ptr<gate> g, std::weak_ptr<session> s, uint64_t n)
    : gate_ptr(std::move(g))
    , target(std::move(s))
    , seq(n) {}

  /// Answers 500 when nobody responded.
  ~responder_state();

  responder_state(const responder_state&) = delete;
  responder_state& operator=(const responder_state&) = delete;

  /// Posts `res` to the session; false if a response was already sent.
  bool respond(response res);

  std::shared_ptr<gate> gate_ptr;
  std::weak_ptr<session> target;
  /// The request this answers (a connection serves requests one by one).
  uint64_t seq;
  std::atomic<bool> done{false};
};

/// Events on their way from `stream` handles to the session. One queue under
/// a mutex keeps them in the order of the `send` calls: separate posts from
/// different threads could overtake each other (Asio runs posts made on the
/// io thread after posts from other threads that it already holds).
struct stream_channel {
  std::shared_ptr<gate> gate_ptr;
  std::weak_ptr<session> target;
  /// Set once the stream ends for any reason; sends then fail.
  std::atomic<bool> closed{false};
  std::mutex mtx;
  /// Framed chunks not yet handed to the session.
  std::deque<std::string> pending;
  /// A handle asked to end the response.
  bool end_requested = false;
  /// A drain is posted and has not run yet.
  bool drain_posted = false;

  /// Queues `chunk` (or, without one, an end request) and wakes the session.
  bool push(std::optional<std::string> chunk);
};

/// Shared by all copies of one `stream` handle.
struct stream_state {
  explicit stream_state(std::shared_ptr<stream_channel> ch)
    : channel(std::move(ch)) {}

  /// Ends the response.
  ~stream_state();

  stream_state(const stream_state&) = delete;
  stream_state& operator=(const stream_state&) = delete;

  std::shared_ptr<stream_channel> channel;
};

/// One connection. Lives on the io thread only; other threads reach it via
/// `gate::post` and a weak pointer.
class session : public std::enable_shared_from_this<session> {
public:
  session(server::impl& srv, tcp::socket sock, bool registered);

  /// Starts reading requests.
  void run();

  /// Answers a new connection with 503 and closes it.
  void reject();

  /// Sends the answer to request `seq` if it still waits for one.
  void deliver(uint64_t seq, response res);

  /// Takes what the stream handles queued.
  void drain_stream();

  /// Ends an event stream: final chunk, then close.
  void stream_end();

  /// The server stops: close idle connections, finish in-flight ones.
  void shutdown();

  /// Closes the socket from the stopping thread after the io thread ended.
  void force_close();

private:
  enum class phase { reading, dispatched, writing, streaming, lingering };

  void do_read();
  void on_header(beast::error_code ec);
  void read_body();
  void on_read(beast::error_code ec);
  void on_read_error(beast::error_code ec);
  void dispatch();
  void start_stream(const request& req, const stream_handler& h);
  void watch_peer();
  void stream_send(std::string chunk);
  void enqueue(std::string data, bool force);
  void write_next();
  void write_response(response res, bool close_after);
  void on_write(beast::error_code ec, bool keep_alive);
  void fail(int status, std::string_view message);
  void linger();
  void linger_read();
  void graceful_close();
  void close();

  server::impl& server_;
  const server_options& opts_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::string_body> res_;
  asio::steady_timer handler_timer_;
  std::array<char, 4096> scratch_{};
  std::string interim_;
  std::string remote_;
  bool registered_;
  phase phase_ = phase::reading;
  bool closed_ = false;
  bool keep_alive_ = false;
  bool lingering_ = false;
  std::size_t lingered_ = 0;
  uint64_t seq_ = 0;
  // Event-stream state.
  std::shared_ptr<stream_channel> channel_;
  std::deque<std::string> out_;
  std::size_t out_bytes_ = 0;
  bool writing_ = false;
  bool ending_ = false;
};

} // namespace detail

namespace {

struct segment {
  std::string text;
  bool param = false;
};

struct route_entry {
  std::string method;
  std::vector<segment> segments;
  handler on_request;
  stream_handler on_stream;
  stream_admission admit;
};

std::vector<segment> parse_pattern(std::string_view pattern) {
  auto parts = split_path(pattern);
  if (!parts)
    throw std::logic_error("http route pattern must start with '/': "
                           + std::string{pattern});
  std::vector<segment> out;
  for (auto part : *parts) {
    if (!part.empty() && part.front() == '{') {
      if (part.size() < 3 || part.back() != '}')
        throw std::logic_error("malformed http route pattern: "
                               + std::string{pattern});
      out.push_back({std::string{part.substr(1, part.size() - 2)}, true});
    } else {
      if (part.find_first_of("{}") != std::string_view::npos)
        throw std::logic_error("malformed http route pattern: "
                               + std::string{pattern});
      out.push_back({std::string{part}, false});
    }
  }
  return out;
}

bool segments_match(const std::vector<segment>& pattern,
                    const std::vector<std::string>& path) {
  if (pattern.size() != path.size())
    return false;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (pattern[i].param ? path[i].empty() : pattern[i].text != path[i])
      return false;
  }
  return true;
}

} // namespace

struct server::impl {
  explicit impl(server_options o)
    : opts(std::move(o)) {}

  /// Finds the route for `method` and `path`, filling `params`; otherwise
  /// returns nullptr and lists the methods the path supports in `allow`.
  const route_entry* match(std::string_view method, std::string_view path,
                           std::map<std::string, std::string>& params,
                           std::string& allow) const;

  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket sock);
  void begin_shutdown();
  void remove(detail::session* s);
  void check_drained();
  void run_io();

  server_options opts;
  // Declared first, destroyed last: sockets and timers need it.
  asio::io_context ioc{1};
  std::shared_ptr<detail::gate> gate = std::make_shared<detail::gate>();
  tcp::acceptor acceptor{ioc};
  asio::steady_timer accept_retry{ioc};
  std::vector<route_entry> routes;
  // Io thread only (and the stopping thread after the join).
  std::unordered_map<detail::session*, std::shared_ptr<detail::session>>
    sessions;
  bool shutting_down = false;
  std::promise<void> drained;
  bool drained_set = false;
  // Caller side.
  std::mutex stop_mtx;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>>
    work;
  std::thread thread;
  uint16_t bound_port = 0;
  bool started = false;
  bool stopped = false;
};

// -- detail::session ----------------------------------------------------------

namespace detail {

session::session(server::impl& srv, tcp::socket sock, bool registered)
  : server_(srv)
  , opts_(srv.opts)
  , stream_(std::move(sock))
  , handler_timer_(stream_.get_executor())
  , registered_(registered) {
  beast::error_code ec;
  auto ep = stream_.socket().remote_endpoint(ec);
  if (!ec)
    remote_ = endpoint_string(ep.address().to_string(), ep.port());
}

void session::run() {
  do_read();
}

void session::reject() {
  keep_alive_ = false;
  lingering_ = true;
  auto res = error_response(503, "too many connections");
  res.headers.emplace_back("Retry-After", "1");
  write_response(std::move(res), true);
}

void session::do_read() {
  phase_ = phase::reading;
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(
    opts_.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
  parser_->body_limit(opts_.max_body_bytes);
  // One deadline for the whole request, header and body: slowloris-safe.
  stream_.expires_after(opts_.read_timeout);
  bhttp::async_read_header(
    stream_, buffer_, *parser_,
    [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_header(ec);
    });
}

void session::on_header(beast::error_code ec) {
  if (closed_)
    return;
  if (ec)
    return on_read_error(ec);
  if (auto len = parser_->content_length(); len && *len > opts_.max_body_bytes)
    return fail(413, "request body too large");
  auto& req = parser_->get();
  auto expect = req.find(bhttp::field::expect);
  if (expect != req.end() && iequals(sv(expect->value()), "100-continue")
      && req.version() >= 11 && !parser_->is_done()) {
    interim_ = "HTTP/1.1 100 Continue\r\n\r\n";
    asio::async_write(
      stream_, asio::buffer(interim_),
      [self = shared_from_this()](beast::error_code ec, std::size_t) {
        if (self->closed_)
          return;
        if (ec)
          return self->close();
        self->read_body();
      });
    return;
  }
  read_body();
}

void session::read_body() {
  bhttp::async_read(
    stream_, buffer_, *parser_,
    [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_read(ec);
    });
}

void session::on_read(beast::error_code ec) {
  if (closed_)
    return;
  if (ec)
    return on_read_error(ec);
  dispatch();
}

void session::on_read_error(beast::error_code ec) {
  if (ec == bhttp::error::body_limit)
    return fail(413, "request body too large");
  if (ec == bhttp::error::header_limit)
    return fail(431, "request header too large");
  // Peer gone, timed out (slow client) or server stopping: nothing to say.
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message
      || ec == asio::error::eof || ec == asio::error::operation_aborted
      || ec == beast::error::timeout || ec == asio::error::connection_reset
      || ec == asio::error::broken_pipe || server_.shutting_down)
    return close();
  fail(400, "bad request");
}

void session::dispatch() {
  auto msg = parser_->release();
  parser_.reset();
  keep_alive_ = msg.keep_alive();
  request req;
  req.method = std::string{sv(msg.method_string())};
  req.target = std::string{sv(msg.target())};
  auto qpos = req.target.find('?');
  req.path = req.target.substr(0, qpos);
  if (qpos != std::string::npos)
    req.query = parse_query(std::string_view{req.target}.substr(qpos + 1));
  for (const auto& field : msg) {
    auto name = lower(sv(field.name_string()));
    auto [it, added]
      = req.headers.emplace(name, std::string{sv(field.value())});
    if (!added) {
      it->second += ", ";
      it->second += sv(field.value());
    }
  }
  req.body = std::move(msg.body());
  req.remote_address = remote_;
  std::string allow;
  auto route = server_.match(req.method, req.path, req.params, allow);
  if (route == nullptr) {
    if (allow.empty())
      return write_response(error_response(404, "not found"), false);
    auto res = error_response(405, "method not allowed");
    res.headers.emplace_back("Allow", allow);
    return write_response(std::move(res), false);
  }
  if (route->on_stream) {
    if (route->admit)
      if (auto refused = route->admit(req))
        return write_response(std::move(*refused), false);
    return start_stream(req, route->on_stream);
  }
  phase_ = phase::dispatched;
  stream_.expires_never();
  auto seq = ++seq_;
  handler_timer_.expires_after(opts_.handler_timeout);
  handler_timer_.async_wait(
    [self = shared_from_this(), seq](beast::error_code ec) {
      if (!ec)
        self->deliver(seq, error_response(503, "handler timeout"));
    });
  responder r{
    std::make_shared<responder_state>(server_.gate, weak_from_this(), seq)};
  try {
    route->on_request(req, r);
  } catch (const std::exception& e) {
    log::error(component, "handler threw",
               {{"path", req.path}, {"error", e.what()}});
    r.respond(error_response(500, "internal error"));
  } catch (...) {
    log::error(component, "handler threw", {{"path", req.path}});
    r.respond(error_response(500, "internal error"));
  }
}

void session::deliver(uint64_t seq, response res) {
  if (closed_ || phase_ != phase::dispatched || seq != seq_)
    return;
  handler_timer_.cancel();
  write_response(std::move(res), false);
}

void session::write_response(response r, bool close_after) {
  phase_ = phase::writing;
  res_ = {};
  res_.version(11);
  if (r.status < 200 || r.status > 999) {
    log::error(component, "handler returned an invalid status",
               {{"status", r.status}});
    r = error_response(500, "internal error");
  }
  res_.result(static_cast<unsigned>(r.status));
  res_.set(bhttp::field::server, "ledgerd");
  if (!r.content_type.empty() && !has_line_break(r.content_type))
    res_.set(bhttp::field::content_type, r.content_type);
  for (auto& [name, value] : r.headers)
    if (!name.empty() && !managed_field(name) && !has_line_break(name)
        && !has_line_break(value))
      res_.insert(name, value);
  // 204 and 304 responses carry no body.
  if (r.status != 204 && r.status != 304)
    res_.body() = std::move(r.body);
  auto keep_alive = keep_alive_ && !close_after && !server_.shutting_down;
  res_.keep_alive(keep_alive);
  res_.prepare_payload();
  stream_.expires_after(opts_.write_timeout);
  bhttp::async_write(
    stream_, res_,
    [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
      self->on_write(ec, keep_alive);
    });
}

void session::on_write(beast::error_code ec, bool keep_alive) {
  if (closed_)
    return;
  if (ec)
    return close();
  if (lingering_)
    return linger();
  if (!keep_alive || server_.shutting_down)
    return graceful_close();
  do_read();
}

void session::fail(int status, std::string_view message) {
  lingering_ = true;
  write_response(error_response(status, message), true);
}

void session::linger() {
  phase_ = phase::lingering;
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream_.expires_after(linger_timeout);
  linger_read();
}

void session::linger_read() {
  stream_.async_read_some(
    asio::buffer(scratch_),
    [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      if (self->closed_)
        return;
      self->lingered_ += n;
      if (ec || self->lingered_ > linger_max_bytes)
        return self->close();
      self->linger_read();
    });
}

void session::start_stream(const request& req, const stream_handler& h) {
  phase_ = phase::streaming;
  stream_.expires_never();
  channel_ = std::make_shared<stream_channel>();
  channel_->gate_ptr = server_.gate;
  channel_->target = weak_from_this();
  enqueue("HTTP/1.1 200 OK\r\n"
          "Server: ledgerd\r\n"
          "Content-Type: text/event-stream\r\n"
          "Cache-Control: no-cache\r\n"
          "Transfer-Encoding: chunked\r\n"
          "\r\n",
          true);
  watch_peer();
  auto state = std::make_shared<stream_state>(channel_);
  try {
    h(req, stream{std::move(state)});
  } catch (const std::exception& e) {
    log::error(component, "stream handler threw",
               {{"path", req.path}, {"error", e.what()}});
    stream_end();
  } catch (...) {
    log::error(component, "stream handler threw", {{"path", req.path}});
    stream_end();
  }
}

void session::watch_peer() {
  // A client never sends anything on an event stream; any completion means
  // it went away (or misbehaves).
  stream_.async_read_some(
    asio::buffer(scratch_),
    [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (self->closed_)
        return;
      if (ec)
        return self->close();
      self->watch_peer();
    });
}

void session::drain_stream() {
  std::deque<std::string> chunks;
  bool end = false;
  {
    std::lock_guard guard{channel_->mtx};
    chunks.swap(channel_->pending);
    end = channel_->end_requested;
    channel_->drain_posted = false;
  }
  for (auto& chunk : chunks)
    stream_send(std::move(chunk));
  if (end)
    stream_end();
}

void session::stream_send(std::string chunk) {
  if (closed_ || phase_ != phase::streaming || ending_)
    return;
  enqueue(std::move(chunk), false);
}

void session::stream_end() {
  if (closed_ || phase_ != phase::streaming || ending_)
    return;
  ending_ = true;
  channel_->closed = true;
  enqueue("0\r\n\r\n", true);
}

void session::enqueue(std::string data, bool force) {
  if (!force && out_bytes_ + data.size() > opts_.max_stream_backlog_bytes) {
    log::warn(component, "event-stream consumer too slow, disconnecting",
              {{"remote", remote_}});
    return close();
  }
  out_bytes_ += data.size();
  out_.push_back(std::move(data));
  if (!writing_)
    write_next();
}

void session::write_next() {
  writing_ = true;
  // deque::push_back keeps references to existing elements valid.
  asio::async_write(
    stream_, asio::buffer(out_.front()),
    [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->writing_ = false;
      if (self->closed_)
        return;
      if (ec)
        return self->close();
      self->out_bytes_ -= self->out_.front().size();
      self->out_.pop_front();
      if (!self->out_.empty())
        return self->write_next();
      if (self->ending_)
        self->graceful_close();
    });
}

void session::shutdown() {
  switch (phase_) {
  case phase::reading:   // idle keep-alive or a request still arriving
  case phase::lingering: // the error response is out already
    return close();
  case phase::streaming:
    return stream_end();
  case phase::dispatched: // closes after the response (keep-alive is off)
  case phase::writing:
    return;
  }
}

void session::graceful_close() {
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  close();
}

void session::close() {
  if (closed_)
    return;
  closed_ = true;
  if (channel_)
    channel_->closed = true;
  handler_timer_.cancel();
  stream_.close();
  if (registered_)
    server_.remove(this);
}

void session::force_close() {
  closed_ = true;
  if (channel_)
    channel_->closed = true;
  beast::error_code ec;
  stream_.socket().close(ec);
}

responder_state::~responder_state() {
  if (done.exchange(true))
    return;
  try {
    gate_ptr->post([s = target, n = seq] {
      if (auto ptr = s.lock())
        ptr->deliver(n, error_response(500, "request dropped by handler"));
    });
  } catch (...) {
    // Out of memory while posting: the handler timeout answers instead.
  }
}

bool responder_state::respond(response res) {
  if (done.exchange(true))
    return false;
  gate_ptr->post([s = target, n = seq, r = std::move(res)]() mutable {
    if (auto ptr = s.lock())
      ptr->deliver(n, std::move(r));
  });
  return true;
}

bool stream_channel::push(std::optional<std::string> chunk) {
  {
    std::lock_guard guard{mtx};
    if (closed || end_requested)
      return false;
    if (chunk)
      pending.push_back(std::move(*chunk));
    else
      end_requested = true;
    if (drain_posted)
      return true;
    drain_posted = true;
  }
  return gate_ptr->post([s = target] {
    if (auto ptr = s.lock())
      ptr->drain_stream();
  });
}

stream_state::~stream_state() {
  try {
    channel->push(std::nullopt);
  } catch (...) {
    // Out of memory while posting: the connection ends at stop().
  }
}

} // namespace detail

// -- server::impl -------------------------------------------------------------

const route_entry*
server::impl::match(std::string_view method, std::string_view path,
                    std::map<std::string, std::string>& params,
                    std::string& allow) const {
  auto raw = split_path(path);
  if (!raw)
    return nullptr;
  std::vector<std::string> segs;
  segs.reserve(raw->size());
  for (auto x : *raw)
    segs.push_back(percent_decode(x, false));
  const route_entry* best = nullptr;
  std::vector<bool> best_mask;
  std::vector<std::string_view> methods;
  for (const auto& r : routes) {
    if (!segments_match(r.segments, segs))
      continue;
    if (std::find(methods.begin(), methods.end(), r.method) == methods.end())
      methods.push_back(r.method);
    if (r.method != method)
      continue;
    std::vector<bool> mask;
    mask.reserve(r.segments.size());
    for (const auto& s : r.segments)
      mask.push_back(!s.param);
    if (best == nullptr || mask > best_mask) {
      best = &r;
      best_mask = std::move(mask);
    }
  }
  if (best == nullptr) {
    for (auto m : methods) {
      if (!allow.empty())
        allow += ", ";
      allow += m;
    }
    return nullptr;
  }
  for (std::size_t i = 0; i < segs.size(); ++i)
    if (best->segments[i].param)
      params[best->segments[i].text] = segs[i];
  return best;
}

void server::impl::do_accept() {
  acceptor.async_accept([this](beast::error_code ec, tcp::socket sock) {
    on_accept(ec, std::move(sock));
  });
}

void server::impl::on_accept(beast::error_code ec, tcp::socket sock) {
  if (shutting_down || ec == asio::error::operation_aborted)
    return;
  if (ec) {
    // E.g. out of file descriptors: back off briefly instead of spinning.
    log::warn(component, "accept failed", {{"error", ec.message()}});
    accept_retry.expires_after(std::chrono::milliseconds{50});
    accept_retry.async_wait([this](beast::error_code ec) {
      if (!ec && !shutting_down)
        do_accept();
    });
    return;
  }
  if (sessions.size() >= opts.max_connections) {
    std::make_shared<detail::session>(*this, std::move(sock), false)->reject();
  } else {
    auto s = std::make_shared<detail::session>(*this, std::move(sock), true);
    sessions.emplace(s.get(), s);
    s->run();
  }
  do_accept();
}

void server::impl::begin_shutdown() {
  shutting_down = true;
  beast::error_code ec;
  acceptor.close(ec);
  accept_retry.cancel();
  std::vector<std::shared_ptr<detail::session>> all;
  all.reserve(sessions.size());
  for (auto& kvp : sessions)
    all.push_back(kvp.second);
  for (auto& s : all)
    s->shutdown();
  check_drained();
}

void server::impl::remove(detail::session* s) {
  sessions.erase(s);
  check_drained();
}

void server::impl::check_drained() {
  if (shutting_down && sessions.empty() && !drained_set) {
    drained_set = true;
    drained.set_value();
  }
}

void server::impl::run_io() {
  detail::run_io_loop(ioc, component);
}

// -- server -------------------------------------------------------------------

server::server(server_options opts)
  : impl_(std::make_unique<impl>(std::move(opts))) {
  if (impl_->opts.max_connections == 0)
    throw std::invalid_argument("http server: max_connections must be > 0");
}

server::~server() {
  stop();
}

void server::route(std::string method, std::string_view pattern, handler h) {
  if (impl_->started)
    throw std::logic_error("http server: route() after start()");
  if (method.empty() || !h)
    throw std::logic_error("http server: route() needs a method and handler");
  impl_->routes.push_back(
    {std::move(method), parse_pattern(pattern), std::move(h), nullptr, {}});
}

void server::route_stream(std::string_view pattern, stream_handler h,
                          stream_admission admit) {
  if (impl_->started)
    throw std::logic_error("http server: route_stream() after start()");
  if (!h)
    throw std::logic_error("http server: route_stream() needs a handler");
  impl_->routes.push_back(
    {"GET", parse_pattern(pattern), nullptr, std::move(h), std::move(admit)});
}

void server::start() {
  auto& d = *impl_;
  std::lock_guard guard{d.stop_mtx};
  if (d.started || d.stopped)
    throw std::logic_error("http server: start() called twice");
  auto where = endpoint_string(d.opts.host, d.opts.port);
  beast::error_code ec;
  tcp::endpoint ep;
  auto addr = asio::ip::make_address(d.opts.host, ec);
  if (!ec) {
    ep = tcp::endpoint{addr, d.opts.port};
  } else {
    tcp::resolver resolver{d.ioc};
    auto results
      = resolver.resolve(d.opts.host, std::to_string(d.opts.port), ec);
    if (!ec && results.empty())
      ec = asio::error::host_not_found;
    if (ec)
      throw std::system_error(ec, "http server: cannot resolve " + where);
    ep = results.begin()->endpoint();
  }
  auto fail = [&](const char* what) {
    beast::error_code ignored;
    d.acceptor.close(ignored);
    throw std::system_error(ec, std::string{"http server: cannot "} + what + " "
                                  + where);
  };
  if (d.acceptor.open(ep.protocol(), ec); ec)
    fail("open a socket for");
  if (d.acceptor.set_option(asio::socket_base::reuse_address{true}, ec); ec)
    fail("set SO_REUSEADDR on");
  if (d.acceptor.bind(ep, ec); ec)
    fail("bind");
  if (d.acceptor.listen(asio::socket_base::max_listen_connections, ec); ec)
    fail("listen on");
  d.bound_port = d.acceptor.local_endpoint(ec).port();
  if (ec)
    fail("query the port of");
  {
    std::lock_guard gate_guard{d.gate->mtx};
    d.gate->ioc = &d.ioc;
  }
  d.work.emplace(asio::make_work_guard(d.ioc));
  d.do_accept();
  d.thread = std::thread{[&d] {
    d.run_io();
  }};
  d.started = true;
  log::info(
    component, "listening",
    {{"address", endpoint_string(ep.address().to_string(), d.bound_port)}});
}

uint16_t server::port() const {
  return impl_->bound_port;
}

void server::stop() {
  auto& d = *impl_;
  std::lock_guard guard{d.stop_mtx};
  if (d.stopped || !d.started) {
    d.stopped = true;
    return;
  }
  if (std::this_thread::get_id() == d.thread.get_id())
    throw std::logic_error("http server: stop() called on its io thread");
  d.stopped = true;
  auto drained = d.drained.get_future();
  asio::post(d.ioc, [&d] {
    d.begin_shutdown();
  });
  // A deadline, not a sleep: returns as soon as the last connection closed.
  if (drained.wait_for(d.opts.shutdown_grace) != std::future_status::ready)
    log::warn(component, "closing connections still busy at shutdown",
              {{"grace_ms", d.opts.shutdown_grace.count()}});
  d.work.reset();
  d.ioc.stop();
  d.thread.join();
  // The io thread is gone: this thread may touch the sessions now.
  for (auto& kvp : d.sessions)
    kvp.second->force_close();
  d.sessions.clear();
  beast::error_code ec;
  d.acceptor.close(ec);
  d.gate->close();
  log::info(component, "stopped", {{"port", d.bound_port}});
}

// -- value types and handles --------------------------------------------------

std::string request::header(std::string_view name) const {
  auto it = headers.find(lower(name));
  return it == headers.end() ? std::string{} : it->second;
}

response response::json(int status, const nlohmann::json& body) {
  response res;
  res.status = status;
  res.content_type = "application/json";
  res.body
    = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return res;
}

response response::error(int status, const std::string& message,
                         const std::string& field) {
  nlohmann::json body{{"error", message}};
  if (!field.empty())
    body["field"] = field;
  return json(status, body);
}

response response::text(int status, std::string body) {
  response res;
  res.status = status;
  res.body = std::move(body);
  return res;
}

bool responder::respond(response res) const {
  return state_ != nullptr && state_->respond(std::move(res));
}

bool responder::responded() const {
  return state_ != nullptr && state_->done.load();
}

bool stream::send(std::string data) const {
  return send(std::string_view{}, std::move(data));
}

bool stream::send(std::string_view event, std::string data) const {
  if (closed())
    return false;
  return state_->channel->push(make_chunk(make_event(event, data)));
}

bool stream::closed() const {
  return state_ == nullptr || state_->channel->closed;
}

void stream::close() const {
  if (state_ == nullptr)
    return;
  state_->channel->push(std::nullopt);
  state_->channel->closed = true;
}

// -- free functions -----------------------------------------------------------

std::map<std::string, std::string> parse_query(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto part = query.substr(0, amp);
    query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
    if (part.empty())
      continue;
    auto eq = part.find('=');
    auto key = percent_decode(part.substr(0, eq), true);
    if (key.empty())
      continue;
    out[std::move(key)] = eq == std::string_view::npos
                            ? std::string{}
                            : percent_decode(part.substr(eq + 1), true);
  }
  return out;
}

} // namespace ledgerd::http
